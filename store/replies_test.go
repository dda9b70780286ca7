package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/testrig"
)

func TestDirectReplies(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	author := newActor("http://org-a.test/u/a", "a", models.ActorPerson, true)
	if err := s.CreateActor(ctx, author); err != nil {
		t.Fatal(err)
	}
	mk := func(iri, inReplyTo string) *models.Post {
		t.Helper()
		p := &models.Post{IRI: iri, AuthorID: author.ID, InReplyTo: inReplyTo, Content: iri, Published: time.Now()}
		if err := s.CreatePost(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	root := mk("http://org-a.test/objects/root", "")
	a := mk("http://org-a.test/objects/a", root.IRI)
	mk("http://org-a.test/objects/a1", a.IRI)
	b := mk("http://org-a.test/objects/b", root.IRI)
	c := mk("http://org-a.test/objects/c", root.IRI)
	if err := s.TombstonePost(ctx, b, time.Now()); err != nil {
		t.Fatal(err)
	}

	ps, err := s.DirectReplies(ctx, root.IRI, 0, 10)
	if err != nil || len(ps) != 2 || ps[0].ID != a.ID || ps[1].ID != c.ID || ps[0].Author == nil {
		t.Fatalf("direct live replies: %+v %v", ps, err)
	}
	if ps, _ = s.DirectReplies(ctx, root.IRI, a.ID, 1); len(ps) != 1 || ps[0].ID != c.ID {
		t.Fatalf("after the cursor: %+v", ps)
	}
	if ps, _ = s.DirectReplies(ctx, c.IRI, 0, 10); len(ps) != 0 {
		t.Fatalf("a leaf has replies: %+v", ps)
	}
}
