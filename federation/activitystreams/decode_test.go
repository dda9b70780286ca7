package activitystreams

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// wantReason fails unless err is a *ParseError with the given reason.
func wantReason(t *testing.T, err error, reason string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v (%T), want *ParseError %q", err, err, reason)
	}
	if pe.Reason != reason {
		t.Fatalf("reason = %q, want %q", pe.Reason, reason)
	}
}

// nested returns an object whose "a" holds n nested arrays.
func nested(n int) []byte {
	return []byte(`{"a":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`)
}

func TestDecodeDepthBomb(t *testing.T) {
	start := time.Now()
	_, err := Decode(nested(100_000))
	wantReason(t, err, reasonTooDeep)
	// Unclosed brackets are refused just as early: the scan stops at the
	// first level past the limit.
	_, err = Decode([]byte(`{"a":` + strings.Repeat(`[{"b":`, 100_000)))
	wantReason(t, err, reasonTooDeep)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("depth bomb took %v", d)
	}

	// The outer object counts as one level.
	if _, err := Decode(nested(MaxDepth - 1)); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	_, err = Decode(nested(MaxDepth))
	wantReason(t, err, reasonTooDeep)

	// Brackets inside strings, including after escaped quotes, are text.
	s := `{"a":"\"` + strings.Repeat("[{", 1000) + `\\"}`
	if _, err := Decode([]byte(s)); err != nil {
		t.Errorf("brackets in a string: %v", err)
	}
}

func TestDecodeLimits(t *testing.T) {
	_, err := Decode([]byte(`{"a":"` + strings.Repeat("x", MaxBytes) + `"}`))
	wantReason(t, err, reasonTooLarge)

	_, err = Decode([]byte(`{"a":"` + strings.Repeat("x", MaxStringBytes+1) + `"}`))
	wantReason(t, err, reasonStringTooBig)
	_, err = Decode([]byte(`{"` + strings.Repeat("k", MaxStringBytes+1) + `":1}`))
	wantReason(t, err, reasonStringTooBig)
	_, err = Decode([]byte(`{"a":[{"b":["` + strings.Repeat("x", MaxStringBytes+1) + `"]}]}`))
	wantReason(t, err, reasonStringTooBig)
	if _, err := Decode([]byte(`{"a":"` + strings.Repeat("x", MaxStringBytes) + `"}`)); err != nil {
		t.Errorf("string at the limit: %v", err)
	}

	for _, s := range []string{``, `   `, `[]`, `[{}]`, `"x"`, `null`, `42`, `true`} {
		_, err := Decode([]byte(s))
		wantReason(t, err, reasonNotObject)
	}

	if m, err := Decode([]byte("\xef\xbb\xbf {\"a\":1}")); err != nil || m["a"] != 1.0 {
		t.Errorf("BOM: %v %v", m, err)
	}
}

func TestDecodeInvalidJSONMessageIsSafe(t *testing.T) {
	_, err := Decode([]byte(`{"id": <script>alert(1)</script>}`))
	wantReason(t, err, reasonInvalidJSON)
	var pe *ParseError
	errors.As(err, &pe)
	if pe.Offset == 0 || pe.Err == nil {
		t.Errorf("offset %d cause %v", pe.Offset, pe.Err)
	}
	if msg := err.Error(); strings.Contains(msg, "<") || strings.Contains(msg, "script") {
		t.Errorf("message echoes input: %q", msg)
	}
	for _, s := range []string{`{"a":1`, `{"a":1}}`, `{"a":1} x`, `{'a':1}`} {
		_, err := Decode([]byte(s))
		wantReason(t, err, reasonInvalidJSON)
	}
}

func TestTenThousandTagsTruncated(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"id":"https://a.example/n/1","type":"Note","tag":[`)
	for i := range 10_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"Mention","href":"https://a.example/u/%d"}`, i)
	}
	b.WriteString(`],"to":[`)
	for i := range 10_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"https://a.example/u/%d"`, i)
	}
	b.WriteString(`]}`)
	m, err := Decode([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m["tag"].([]any)); n != MaxItems {
		t.Errorf("raw tags = %d", n)
	}
	o, err := ObjectFromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Tags) != MaxItems || len(o.To) != MaxItems || o.Tags[MaxItems-1].Href != fmt.Sprintf("https://a.example/u/%d", MaxItems-1) {
		t.Errorf("tags %d to %d", len(o.Tags), len(o.To))
	}

	// Maps built by hand are capped too.
	many := make([]any, 5000)
	for i := range many {
		many[i] = "https://a.example/x"
	}
	if n := len(IRIs(many)); n != MaxItems {
		t.Errorf("IRIs kept %d", n)
	}
	if n := len(tags(many)); n != MaxItems {
		t.Errorf("tags kept %d", n)
	}
}

func TestHelpers(t *testing.T) {
	link := map[string]any{"type": "Link", "href": "https://a.example/l"}
	obj := map[string]any{"id": "https://a.example/o", "href": "https://a.example/ignored"}
	iriCases := []struct {
		in   any
		want string
	}{
		{"https://a.example/s", "https://a.example/s"},
		{obj, "https://a.example/o"},
		{link, "https://a.example/l"},
		{[]any{map[string]any{"type": "Person"}, "https://a.example/2"}, "https://a.example/2"},
		{nil, ""},
		{42.0, ""},
		{map[string]any{"id": 42.0}, ""},
	}
	for _, c := range iriCases {
		if got := IRI(c.in); got != c.want {
			t.Errorf("IRI(%v) = %q, want %q", c.in, got, c.want)
		}
	}

	if got := IRIs([]any{"https://a/1", obj, link, 7.0, []any{"https://a/nested"}, ""}); !slices.Equal(got, []string{"https://a/1", "https://a.example/o", "https://a.example/l"}) {
		t.Errorf("IRIs = %v", got)
	}
	if got := IRIs(nil); got != nil {
		t.Errorf("IRIs(nil) = %v", got)
	}
	if got := IRIs(Public); !slices.Equal(got, []string{Public}) {
		t.Errorf("IRIs(string) = %v", got)
	}

	if got := Types([]any{"Group", 3.0, "lemmy:Community"}); !slices.Equal(got, []string{"Group", "lemmy:Community"}) {
		t.Errorf("Types = %v", got)
	}
	if got := Types(map[string]any{"type": "Note"}); !slices.Equal(got, []string{"Note"}) {
		t.Errorf("Types(map) = %v", got)
	}

	m := map[string]any{
		"content":    nil,
		"contentMap": map[string]any{"fr": "bonjour", "de": "hallo", "en": "hello"},
		"nameMap":    map[string]any{"fr": "nom", "de": "Name", "it": 5.0},
		"summary":    "plain",
		"summaryMap": map[string]any{"en": "mapped"},
	}
	for key, want := range map[string]string{"content": "hello", "name": "Name", "summary": "plain", "missing": ""} {
		if got := String(m, key); got != want {
			t.Errorf("String(%s) = %q, want %q", key, got, want)
		}
	}

	for s, want := range map[string]bool{Public: true, "as:Public": true, "Public": true, "https://a.example/public": false, "": false} {
		if IsPublic(s) != want {
			t.Errorf("IsPublic(%q) != %v", s, want)
		}
	}

	url := []any{
		map[string]any{"type": "Link", "mediaType": "application/x-mpegURL", "href": "https://v.example/v.m3u8"},
		map[string]any{"type": "Link", "mediaType": "text/html", "href": "https://v.example/w/1"},
	}
	if got := firstHref(url, 0); got != "https://v.example/w/1" {
		t.Errorf("firstHref = %q", got)
	}
	if got := imageURL([]any{map[string]any{"type": "Image", "url": map[string]any{"href": "https://a/i.png"}}}); got != "https://a/i.png" {
		t.Errorf("imageURL = %q", got)
	}

	for s, want := range map[string]time.Time{
		"2021-11-01T12:11:22.871846Z": time.Date(2021, 11, 1, 12, 11, 22, 871846000, time.UTC),
		"2022-12-11T19:00:00+01:00":   time.Date(2022, 12, 11, 18, 0, 0, 0, time.UTC),
		"2022-12-11T19:00:00+0100":    time.Date(2022, 12, 11, 18, 0, 0, 0, time.UTC),
		"2022-12-11T19:00:00":         time.Date(2022, 12, 11, 19, 0, 0, 0, time.UTC),
		"yesterday":                   {},
	} {
		if got := timeValue(s); !got.Equal(want) {
			t.Errorf("timeValue(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestParseActivityErrors(t *testing.T) {
	cases := []struct{ doc, reason string }{
		{`{"type":"Follow","actor":"https://a/u","object":"https://b/g"}`, "missing id"},
		{`{"id":"/activities/1","type":"Follow","actor":"https://a/u"}`, "id is not an http(s) URL"},
		{`{"id":"javascript:alert(1)","type":"Follow","actor":"https://a/u"}`, "id is not an http(s) URL"},
		{`{"id":"https://a/1","actor":"https://a/u"}`, "missing type"},
		{`{"id":"https://a/1","type":[],"actor":"https://a/u"}`, "missing type"},
		{`{"id":"https://a/1","type":"Follow"}`, "missing actor"},
		{`{"id":"https://a/1","type":"Follow","actor":{"type":"Person"}}`, "missing actor"},
		{`{"id":"https://a/1","type":"Follow","actor":"acct:bob@a"}`, "actor is not an http(s) URL"},
	}
	for _, c := range cases {
		_, err := ParseActivity([]byte(c.doc))
		t.Run(c.reason, func(t *testing.T) { wantReason(t, err, c.reason) })
	}

	a, err := ParseActivity([]byte(`{"id":"https://a/1","type":["Follow","x:Other"],"actor":{"type":"Person","id":"https://a/u"},"object":{"type":"Group","id":"https://b/g"},"audience":"https://b/g","published":"2024-01-02T03:04:05Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if a.Type != "Follow" || a.Actor != "https://a/u" || a.ObjectIRI != "https://b/g" ||
		!slices.Equal(a.Audience, []string{"https://b/g"}) || a.Published.Year() != 2024 {
		t.Errorf("activity = %+v", a)
	}
	if _, err := ActivityFromMap(nil); err == nil {
		t.Error("nil map accepted")
	}
}

func TestParseActorErrorsAndKeys(t *testing.T) {
	cases := []struct{ doc, reason string }{
		{`{"id":"https://a/n","type":"Note","inbox":"https://a/inbox"}`, "not an actor type"},
		{`{"id":"https://a/g","type":"Group"}`, "missing inbox"},
		{`{"id":"https://a/g","type":"Group","inbox":42}`, "missing inbox"},
		{`{"id":"https://a/g","type":"Group","inbox":"/inbox"}`, "inbox is not an http(s) URL"},
		{`{"type":"Group","inbox":"https://a/inbox"}`, "missing id"},
	}
	for _, c := range cases {
		_, err := ParseActor([]byte(c.doc))
		t.Run(c.reason, func(t *testing.T) { wantReason(t, err, c.reason) })
	}

	rsaPEM := pickKey("https://enterprise.lemmy.ml/u/picard", readFixtureKey(t)).PEM
	if rsaPEM == "" {
		t.Fatal("no fixture key")
	}
	keys := []any{
		// An Ed25519 Multikey as FEP-521a adds it, then a key owned by
		// someone else, then the real RSA key.
		map[string]any{"id": "https://a/u#ed", "owner": "https://a/u", "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"},
		map[string]any{"id": "https://evil/k", "owner": "https://evil/u", "publicKeyPem": rsaPEM},
		map[string]any{"id": "https://a/u#main-key", "owner": "https://a/u", "publicKeyPem": rsaPEM},
	}
	doc := map[string]any{"id": "https://a/u", "type": "Person", "inbox": "https://a/u/inbox", "publicKey": keys}
	a, err := ActorFromMap(doc)
	if err != nil {
		t.Fatal(err)
	}
	if a.PublicKey.ID != "https://a/u#main-key" {
		t.Errorf("picked %q", a.PublicKey.ID)
	}
	// Without an RSA key the first usable key is kept; a foreign one never.
	if k := pickKey("https://a/u", keys[:2]); k.ID != "https://a/u#ed" {
		t.Errorf("picked %q", k.ID)
	}
	if k := pickKey("https://a/u", keys[1:2]); k != (PublicKey{}) {
		t.Errorf("picked foreign key %q", k.ID)
	}
	if k := pickKey("https://a/u", "https://a/u#main-key"); k.ID != "https://a/u#main-key" || k.PEM != "" {
		t.Errorf("key by reference = %+v", k)
	}
}

// readFixtureKey returns the publicKey object of a fixture actor.
func readFixtureKey(t *testing.T) any {
	t.Helper()
	m, err := Decode(readFixture(t, "lemmy/objects/person.json"))
	if err != nil {
		t.Fatal(err)
	}
	return m["publicKey"]
}
