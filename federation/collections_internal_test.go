package federation

import (
	"encoding/json"
	"strings"
	"testing"
)

// Only our exact context goes, at an item's top and in the object under
// it; another context, the same characters inside a key or a string, or
// ours under a context that is not ours, stay. Other members keep their
// bytes.
func TestStripContext(t *testing.T) {
	ours, err := publishedContextJSON()
	if err != nil {
		t.Fatal(err)
	}
	ctx := `"@context":` + string(ours) + `,`
	item := `{` + ctx + `"id":"https://a.example/1","object":{` + ctx + `"content":"<p>a & b</p>","id":"https://a.example/2"},"type":"Announce"}`
	got, stripped := stripContext([]byte(item), ours)
	if want := `{"id":"https://a.example/1","object":{"content":"<p>a & b</p>","id":"https://a.example/2"},"type":"Announce"}`; !stripped || string(got) != want {
		t.Fatalf("ours:\n got %s, %v\nwant %s", got, stripped, want)
	}
	for _, item := range []string{
		// Another context, and ours below it.
		`{"@context":["https://www.w3.org/ns/activitystreams",{"Hashtag":"as:Hashtag"}],"id":"https://m.example/1","object":{` + ctx + `"id":"https://a.example/3"}}`,
		// The same characters after an escaped quote inside a key.
		`{"evil\"` + ctx[1:] + `"type":"Note"}`,
		// Inside a string.
		`{"content":"{\"@context\":` + strings.ReplaceAll(string(ours), `"`, `\"`) + `,","id":"https://a.example/4"}`,
	} {
		if !json.Valid([]byte(item)) {
			t.Fatalf("not JSON: %s", item)
		}
		if got, stripped := stripContext([]byte(item), ours); stripped || string(got) != item {
			t.Fatalf("changed %s into %s", item, got)
		}
	}
}
