package activitystreams

import (
	"errors"
	"testing"
)

// addFixtureSeeds seeds f with every fixture and a few hostile shapes.
func addFixtureSeeds(f *testing.F) {
	for _, rel := range fixtureFiles(f) {
		f.Add(readFixture(f, rel))
	}
	for _, s := range []string{`{}`, `{"a":[[[[[[]]]]]]}`, `{"a":"\"[[["}`, `[`, `{"id":"https://a/1","type":"Follow","actor":[{"id":"https://a/u"}]}`} {
		f.Add([]byte(s))
	}
}

// checkErr fails unless err is nil or a *ParseError.
func checkErr(t *testing.T, err error) {
	var pe *ParseError
	if err != nil && !errors.As(err, &pe) {
		t.Fatalf("error %v is %T, not *ParseError", err, err)
	}
}

func FuzzDecode(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		checkErr(t, err)
		if err == nil && m == nil {
			t.Fatal("nil map without error")
		}
	})
}

func FuzzParseActivity(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseActivity(data)
		checkErr(t, err)
		if err != nil {
			return
		}
		if !isHTTPURL(a.ID) || !isHTTPURL(a.Actor) || a.Type == "" {
			t.Fatalf("accepted incomplete activity %+v", a)
		}
		if len(a.To) > MaxItems || len(a.CC) > MaxItems || len(a.ObjectIRIs) > MaxItems {
			t.Fatal("addressing over the limit")
		}
		if inner, ok := a.Object.(map[string]any); ok {
			_, err := ActivityFromMap(inner)
			checkErr(t, err)
			_, err = ObjectFromMap(inner)
			checkErr(t, err)
		}
		_, err = ObjectFromMap(a.Raw)
		checkErr(t, err)
	})
}

func FuzzParseActor(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseActor(data)
		checkErr(t, err)
		if err != nil {
			return
		}
		if !isHTTPURL(a.ID) || !isHTTPURL(a.Inbox) || !isActorType(a.Type) {
			t.Fatalf("accepted incomplete actor %+v", a)
		}
		if a.PublicKey.Owner != "" && a.PublicKey.Owner != a.ID {
			t.Fatalf("took a key owned by %q", a.PublicKey.Owner)
		}
	})
}
