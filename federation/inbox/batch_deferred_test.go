package inbox_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/practica-social/practica/federation/inbox"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/testrig"
)

// queuedFetches records what the inbox hands to the fetch pool.
type queuedFetches struct {
	mu    sync.Mutex
	items []int64
	then  [][]int64
}

func (q *queuedFetches) FetchParents(_ context.Context, id int64, then []int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items, q.then = append(q.items, id), append(q.then, then)
	return nil
}

// TestADeferredReplyTakesWhatNamesItAlong: the batch of
// TestProcessBatchFetchesParentsOutsideTheTransaction, with the fetch pool
// on (Fetches set, as app.StartWorkers does). The reply whose parent is
// missing is handed to the pool, and so is the Like of it behind it, to be
// processed after it; both wait (state waiting), and nothing is fetched in
// the inbox. The rest of the batch is processed. When the pool has handled
// the reply and then the Like, as its task does, the Like counts.
func TestADeferredReplyTakesWhatNamesItAlong(t *testing.T) {
	ctx := context.Background()
	st := testrig.NewStore(t)
	f := newRunFixture(t, st)
	ann, bob := f.remote[0].IRI, f.remote[1].IRI
	missing := ann + "/n/missing"
	res := &fetchingResolver{svc: f.svc, hits: map[string]int{}, docs: map[string]map[string]any{
		missing: {"id": missing, "type": "Note", "attributedTo": ann, "content": "<p>the parent</p>",
			"to": []any{"https://www.w3.org/ns/activitystreams#Public", f.group}},
	}}
	bodies := []string{
		f.note(1, ann, ann+"/n/1", ""),      // 0 new, in a run
		f.note(2, bob, bob+"/n/2", missing), // 1 its parent missing: handed to the pool
		fmt.Sprintf(`{"id":"%s/a/3","type":"Like","actor":"%s","object":"%s/n/2"}`, ann, ann, bob), // 2 a Like of it: follows it
		f.note(4, bob, bob+"/n/4", ann+"/n/1"),                                                     // 3 a reply to post 0, in the run
	}
	var ids []int64
	for i, b := range bodies {
		id, _, err := f.svc.ReceiveActivity(ctx, models.InboxItem{ActivityIRI: fmt.Sprintf("item-%d", i), ActorIRI: "x", Body: b})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	q := &queuedFetches{}
	proc := inbox.NewProcessor(inbox.ProcessorDeps{Service: f.svc, Resolver: res, Fetches: q})
	if err := proc.ProcessBatch(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if len(q.items) != 1 || q.items[0] != ids[1] || !slices.Equal(q.then[0], []int64{ids[2]}) {
		t.Fatalf("handed over %v then %v; want the reply %d, then the Like %d", q.items, q.then, ids[1], ids[2])
	}
	if res.hits[missing] != 0 {
		t.Errorf("the inbox fetched the parent %d times", res.hits[missing])
	}
	items, err := f.svc.InboxItems(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []models.InboxState{models.InboxProcessed, models.InboxWaiting, models.InboxWaiting, models.InboxProcessed} {
		if items[i].State != want {
			t.Errorf("item %d: %s (%q), want %s", i, items[i].State, items[i].Error, want)
		}
	}

	// The pool's task: the reply, then what followed it.
	if err := proc.ProcessFetchingParents(ctx, ids[1], false); err != nil {
		t.Fatal(err)
	}
	if err := proc.ProcessBatch(ctx, q.then[0]); err != nil {
		t.Fatal(err)
	}
	reply, err := st.GetPostByIRI(ctx, bob+"/n/2")
	if err != nil || reply.ThreadID == nil {
		t.Fatalf("reply: %+v, %v", reply, err)
	}
	if _, err := st.GetLike(ctx, reply.ID, f.remote[0].ID); err != nil {
		t.Errorf("ann's like of the reply: %v", err)
	}
	if items, _ = f.svc.InboxItems(ctx, ids); items[1].State != models.InboxProcessed || items[2].State != models.InboxProcessed {
		t.Errorf("after the pool: reply %s, Like %s; want both processed", items[1].State, items[2].State)
	}
}
