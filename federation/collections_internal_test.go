package federation

import (
	"bytes"
	"testing"
)

// Only the exact member goes: another context, or the same text inside a
// string (where its quotes are escaped), stays.
func TestStripContext(t *testing.T) {
	member, err := publishedContextMember()
	if err != nil {
		t.Fatal(err)
	}
	ours := []byte(`{` + string(member) + `"id":"https://a.example/1","object":{` + string(member) + `"id":"https://a.example/2"}}`)
	got, stripped := stripContext(ours, member)
	if !stripped || string(got) != `{"id":"https://a.example/1","object":{"id":"https://a.example/2"}}` {
		t.Fatalf("ours: %s, %v", got, stripped)
	}
	escaped := bytes.ReplaceAll(member, []byte(`"`), []byte(`\"`))
	for _, item := range []string{
		`{"@context":["https://www.w3.org/ns/activitystreams",{"toot":"http://joinmastodon.org/ns#","Hashtag":"as:Hashtag"}],"id":"https://m.example/1"}`,
		`{"content":"` + string(escaped) + `","id":"https://a.example/3"}`,
	} {
		if got, stripped := stripContext([]byte(item), member); stripped || string(got) != item {
			t.Fatalf("changed %s into %s", item, got)
		}
	}
}
