package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

func remoteDoc(id, user string) *activitystreams.Actor {
	return &activitystreams.Actor{
		ID: id, Type: "Person", PreferredUsername: user, Inbox: id + "/inbox",
		PublicKey: activitystreams.PublicKey{ID: id + "#main-key", Owner: id, PEM: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
	}
}

func TestPutRemoteActorFitsTheDocumentToTheRow(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	svc := newInboxService(t, nil, func() time.Time { return now })
	doc := &activitystreams.Actor{
		ID: "https://Lemmy.Example:443/c/Tenforward", Type: "Group", Name: "Ten\x00 Forward " + strings.Repeat("x", 600),
		Summary: `<p>Hi</p><script>alert(1)</script>`, Inbox: "https://lemmy.example/c/tenforward/inbox",
		Outbox: "javascript:alert(1)", SharedInbox: "https://lemmy.example/inbox",
		URL: "https://lemmy.example/c/tenforward", Moderators: "https://lemmy.example/c/tenforward/moderators",
		IconURL: "data:image/png;base64,AAAA", ManuallyApprovesFollowers: true,
		PublicKey: activitystreams.PublicKey{ID: "https://lemmy.example/c/tenforward#main-key", PEM: "PEM"},
	}
	a, err := svc.PutRemoteActor(ctx, doc)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case a.ID == 0, a.Local:
		t.Fatalf("row %+v", a)
	case a.Host != "lemmy.example":
		t.Errorf("host %q, want lemmy.example (lower case, no default port)", a.Host)
	case a.Kind != models.KindGroup || a.Type != models.ActorGroup:
		t.Errorf("kind %q type %q", a.Kind, a.Type)
	case a.Username != "Tenforward":
		t.Errorf("username %q, want the last path segment", a.Username)
	case strings.Contains(a.Name, "\x00") || len([]rune(a.Name)) > 512:
		t.Errorf("name not fitted: %d runes", len([]rune(a.Name)))
	case strings.Contains(a.Summary, "script"):
		t.Errorf("summary not sanitised: %q", a.Summary)
	case a.OutboxURL != "" || a.IconURL != "":
		t.Errorf("non-http URLs kept: %q %q", a.OutboxURL, a.IconURL)
	case a.SharedInboxURL != doc.SharedInbox || a.ModeratorsURL != doc.Moderators || !a.ManuallyApprovesFollowers:
		t.Errorf("fields lost: %+v", a)
	case a.PublicKeyID != doc.PublicKey.ID || a.FetchedAt == nil || !a.FetchedAt.Equal(now) || a.GoneAt != nil:
		t.Errorf("key or fetch time: %+v", a)
	}
	stored, err := svc.ActorByKeyID(ctx, doc.PublicKey.ID)
	if err != nil || stored.ID != a.ID {
		t.Fatalf("by key = %v, %v", stored, err)
	}
}

func TestPutRemoteActorRefusesForeignKeysAndLocalIDs(t *testing.T) {
	ctx := context.Background()
	svc := newInboxService(t, nil, nil)
	doc := remoteDoc("https://evil.example/u/mallory", "mallory")
	// A key id on another host would shadow that host's key in lookups.
	doc.PublicKey.ID = "https://victim.example/u/bob#main-key"
	a, err := svc.PutRemoteActor(ctx, doc)
	if err != nil {
		t.Fatal(err)
	}
	if a.PublicKeyID != "" || a.PublicKeyPEM != "" {
		t.Fatalf("foreign key stored: %q", a.PublicKeyID)
	}
	if _, err := svc.ActorByKeyID(ctx, "https://victim.example/u/bob#main-key"); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("foreign key found: %v", err)
	}
	if _, err := svc.PutRemoteActor(ctx, remoteDoc("http://org-a.test/u/alice", "alice")); service.KindOf(err) != service.KindInvalid {
		t.Fatalf("actor on our own host: %v, want invalid", err)
	}
	if _, err := svc.PutRemoteActor(ctx, remoteDoc("https://x.example/"+strings.Repeat("a", 2100), "a")); service.KindOf(err) != service.KindInvalid {
		t.Fatalf("over-long id: %v, want invalid", err)
	}
}

func TestPutRemoteActorRefreshAndHandleClash(t *testing.T) {
	ctx := context.Background()
	svc := newInboxService(t, nil, nil)
	old, err := svc.PutRemoteActor(ctx, remoteDoc("https://m.example/users/ann", "ann"))
	if err != nil {
		t.Fatal(err)
	}
	// A refresh keeps the row and takes the new key.
	doc := remoteDoc("https://m.example/users/ann", "ann")
	doc.PublicKey.ID = "https://m.example/users/ann#key2"
	again, err := svc.PutRemoteActor(ctx, doc)
	if err != nil || again.ID != old.ID || again.PublicKeyID != doc.PublicKey.ID {
		t.Fatalf("refresh = %+v, %v", again, err)
	}
	// The account re-created under a new id takes the handle; the old row
	// gives it up but keeps existing.
	moved, err := svc.PutRemoteActor(ctx, remoteDoc("https://m.example/users/ann2", "ann"))
	if err != nil || moved.ID == old.ID || moved.Username != "ann" {
		t.Fatalf("new holder of the handle = %+v, %v", moved, err)
	}
	prev, err := svc.ActorByIRI(ctx, "https://m.example/users/ann")
	if err != nil || prev.Username == "ann" {
		t.Fatalf("old row = %+v, %v; it must give the handle up", prev, err)
	}
}

func TestMarkRemoteActorGone(t *testing.T) {
	ctx := context.Background()
	svc := newInboxService(t, nil, nil)
	a, err := svc.PutRemoteActor(ctx, remoteDoc("https://m.example/users/gone", "gone"))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.MarkRemoteActorGone(ctx, a.IRI); err != nil {
		t.Fatal(err)
	}
	got, _ := svc.ActorByIRI(ctx, a.IRI)
	if got.GoneAt == nil {
		t.Fatal("not marked gone")
	}
	if err := svc.MarkRemoteActorGone(ctx, "https://m.example/users/never"); err != nil {
		t.Fatalf("unknown actor: %v", err)
	}
	// A fresh fetch brings it back.
	back, err := svc.PutRemoteActor(ctx, remoteDoc(a.IRI, "gone"))
	if err != nil || back.GoneAt != nil {
		t.Fatalf("refetched = %+v, %v", back, err)
	}
}
