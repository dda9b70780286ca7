package service_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// sentTo returns, for each activity handed to the dispatcher since the
// last call, its kind ("create" for an Announce of an activity, "boost"
// for an Announce of a post's id, "undo" for an Undo) and the hosts it is
// queued for.
func (f *fixture) sentTo() map[string][]string {
	f.t.Helper()
	out := map[string][]string{}
	for _, id := range f.rec.take() {
		a, err := f.store.GetActivity(f.ctx, id)
		if err != nil {
			f.t.Fatal(err)
		}
		kind := "boost"
		switch {
		case a.Type == "Undo":
			kind = "undo"
		case strings.Contains(a.JSON, `"object":{`):
			kind = "create"
		}
		ds, err := f.store.ActivityDeliveries(f.ctx, id)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, d := range ds {
			out[kind] = append(out[kind], d.Host)
		}
		slices.Sort(out[kind])
	}
	return out
}

// Each member's host gets the Announces its software processes: Mastodon
// and Misskey the boost only, FEP-1b12 software the Announce of the
// activity only, anything else (unknown, or software that processes both
// like Friendica) both; replies, which
// are never boosted, reach no Mastodon host at all.
func TestAnnouncesFollowEachPeersSoftware(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	c := f.community("pub", owner, models.VisibilityPublic, models.JoinOpen)
	hosts := []string{"masto.test", "lemmy.test", "misskey.test", "friendica.test", "quiet.test"}
	var bob *models.Actor
	for _, h := range hosts {
		who := f.remote(h, "m")
		if h == "masto.test" {
			bob = who
		}
		if _, err := f.svc.ReceiveFollow(f.ctx, c, who, who.IRI+"#f"); err != nil {
			t.Fatal(err)
		}
	}
	for host, sw := range map[string]string{"masto.test": "Mastodon", "lemmy.test": "lemmy", "misskey.test": "Misskey", "friendica.test": "friendica", "quiet.test": ""} {
		if err := f.svc.RecordPeerSoftware(f.ctx, host, sw, "1.0"); err != nil {
			t.Fatal(err)
		}
	}
	f.rec.take()
	want := map[string][]string{
		"create": {"friendica.test", "lemmy.test", "quiet.test"},
		"boost":  {"friendica.test", "masto.test", "misskey.test", "quiet.test"},
	}
	check := func(what string, got, want map[string][]string) {
		t.Helper()
		for _, kind := range []string{"create", "boost"} {
			if !slices.Equal(got[kind], want[kind]) {
				t.Errorf("%s: %s queued for %v, want %v", what, kind, got[kind], want[kind])
			}
		}
	}

	// A local top-level post, and a reply to it.
	p, err := f.svc.CreatePost(f.ctx, service.NewPost{AuthorID: owner.ID, CommunityID: c.ID, Title: "Hello", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	check("local post", f.sentTo(), want)
	if _, err := f.svc.CreatePost(f.ctx, service.NewPost{AuthorID: owner.ID, CommunityID: c.ID, Body: "a reply", InReplyToID: p.ID}); err != nil {
		t.Fatal(err)
	}
	check("local reply", f.sentTo(), map[string][]string{"create": want["create"]})
	reply, err := f.svc.CreatePost(f.ctx, service.NewPost{AuthorID: owner.ID, CommunityID: c.ID, Body: "another reply", InReplyToID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.rec.take()

	// Deleting the thread: the Announce of the Delete where it is
	// processed, and the Undo of the boost where the boost went, so that
	// Mastodon takes it off its timelines. A reply was never boosted.
	if err := f.svc.DeletePost(f.ctx, owner.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	got := f.sentTo()
	check("deleted thread", got, map[string][]string{"create": want["create"]})
	if !slices.Equal(got["undo"], want["boost"]) {
		t.Errorf("deleted thread: undo queued for %v, want %v", got["undo"], want["boost"])
	}
	if err := f.svc.DeletePost(f.ctx, owner.ID, reply.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.sentTo(); len(got["undo"]) != 0 || !slices.Equal(got["create"], want["create"]) {
		t.Errorf("deleted reply: %v, want the Announce of the Delete to %v only", got, want["create"])
	}

	// A remote member's post handled alone, and two in a batch run
	// (whose rows are written together at its end).
	rp := func(id string) service.RemotePost {
		return service.RemotePost{
			ActivityIRI: bob.IRI + "/act/" + id, ActivityType: "Create", ActivityJSON: `{"id":"` + bob.IRI + `/act/` + id + `","type":"Create","object":{}}`,
			IRI: "http://masto.test/notes/" + id, Type: "Note", ContentHTML: "<p>Hi " + id + "</p>", Public: true,
		}
	}
	if _, err := f.svc.ReceivePost(f.ctx, c, bob, rp("1")); err != nil {
		t.Fatal(err)
	}
	check("remote post", f.sentTo(), want)
	ctx := service.WithBatchMemo(f.ctx)
	if err := f.svc.PreloadBatch(ctx, []string{bob.IRI}, []string{"http://masto.test/notes/2", "http://masto.test/notes/3"}); err != nil {
		t.Fatal(err)
	}
	ctx = service.WithDeferredWrites(ctx)
	for _, id := range []string{"2", "3"} {
		if _, err := f.svc.ReceivePost(ctx, c, bob, rp(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.FlushDeferred(ctx); err != nil {
		t.Fatal(err)
	}
	twice := map[string][]string{}
	for kind, hs := range want {
		twice[kind] = slices.Sorted(slices.Values(append(slices.Clone(hs), hs...)))
	}
	check("batch of two remote posts", f.sentTo(), twice)
}

// What a host said decides when it is asked again: a week for an answer,
// a day without one, a month once none of its present actors is a member.
func TestRecordPeerSoftwareSetsWhenToAskAgain(t *testing.T) {
	f := newFixture(t)
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	svc := service.New(service.Deps{Store: f.store, URLs: f.svc.URLs(), Now: func() time.Time { return now }})
	owner := f.person("owner")
	c := f.community("pub", owner, models.VisibilityPublic, models.JoinOpen)
	for _, h := range []string{"masto.test", "quiet.test", "gone.test"} {
		who := f.remote(h, "m")
		if _, err := f.svc.ReceiveFollow(f.ctx, c, who, who.IRI+"#f"); err != nil {
			t.Fatal(err)
		}
		if h == "gone.test" {
			if err := f.svc.ReceiveActorDeleted(f.ctx, who); err != nil {
				t.Fatal(err)
			}
		}
	}
	for host, want := range map[string]struct {
		name string
		due  time.Duration
	}{
		"masto.test": {"Mastodon", service.PeerSoftwareRefresh},
		"quiet.test": {"", service.PeerUnknownRetry},
		"gone.test":  {"mastodon", service.PeerFormerRefresh},
		"never.test": {"lemmy", service.PeerFormerRefresh},
	} {
		if err := svc.RecordPeerSoftware(f.ctx, host, want.name, "1.0"); err != nil {
			t.Fatal(err)
		}
		p, err := f.store.GetPeerSoftware(f.ctx, host)
		if err != nil {
			t.Fatal(err)
		}
		if !p.CheckedAt.Equal(now) || !p.DueAt.Equal(now.Add(want.due)) || p.Name != strings.ToLower(want.name) {
			t.Errorf("%s: %+v; want %q checked now, due in %s", host, p, strings.ToLower(want.name), want.due)
		}
	}
}
