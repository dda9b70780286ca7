package service_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// deliveryWaker is a Dispatcher that records fan-out wake-ups.
type deliveryWaker struct {
	mu         sync.Mutex
	activities []int64
}

func (w *deliveryWaker) Deliver(_ context.Context, _ int, ids ...int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.activities = append(w.activities, ids...)
	return nil
}

func (w *deliveryWaker) ProcessInbox(context.Context, ...int64) error { return nil }

func (w *deliveryWaker) woken() []int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int64(nil), w.activities...)
}

func newDeliveryService(t *testing.T, w service.Dispatcher) (*service.Service, *models.Actor) {
	t.Helper()
	svc := service.New(service.Deps{Store: testrig.NewStore(t), URLs: service.NewURLs("http://org-a.test"), Dispatch: w})
	a, err := svc.InstanceActor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return svc, a
}

func newActivity(a *models.Actor, id string) *models.Activity {
	return &models.Activity{IRI: "http://org-a.test/activities/" + id, Type: "Create", ActorID: a.ID, JSON: `{"id":"` + id + `"}`}
}

func TestPublishActivityQueuesRemoteInboxesOnceAndWakesAfterCommit(t *testing.T) {
	ctx := context.Background()
	w := &deliveryWaker{}
	svc, actor := newDeliveryService(t, w)
	act := newActivity(actor, "1")
	inboxes := []string{"http://b.test/inbox", "http://b.test/inbox", "http://c.test/u/x/inbox", "http://org-a.test/inbox", "not a url", ""}
	if err := svc.PublishActivity(ctx, act, inboxes, service.PriorityBulk); err != nil {
		t.Fatal(err)
	}
	ds, err := svc.ActivityDeliveries(ctx, act.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].Host != "b.test" || ds[1].Host != "c.test" || ds[0].State != models.DeliveryPending {
		t.Fatalf("deliveries %+v; want one per distinct remote inbox", ds)
	}
	if got := w.woken(); len(got) != 1 || got[0] != act.ID {
		t.Fatalf("woken %v", got)
	}
	// Publishing again to the same inboxes adds nothing and wakes nobody;
	// a new inbox adds one row and one wake-up.
	if err := svc.PublishActivity(ctx, act, inboxes, service.PriorityBulk); err != nil {
		t.Fatal(err)
	}
	if len(w.woken()) != 1 {
		t.Fatalf("re-publishing to the same inboxes woke the workers: %v", w.woken())
	}
	if err := svc.PublishActivity(ctx, act, []string{"http://d.test/inbox"}, service.PriorityDirect); err != nil {
		t.Fatal(err)
	}
	if ds, _ := svc.ActivityDeliveries(ctx, act.ID); len(ds) != 3 || ds[2].Priority != service.PriorityDirect || len(w.woken()) != 2 {
		t.Fatalf("after adding an inbox: %+v, woken %v", ds, w.woken())
	}
}

func TestPublishActivityInARolledBackTransactionWakesNobody(t *testing.T) {
	ctx := context.Background()
	w := &deliveryWaker{}
	st := testrig.NewStore(t)
	svc := service.New(service.Deps{Store: st, URLs: service.NewURLs("http://org-a.test"), Dispatch: w})
	actor, err := svc.InstanceActor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rollback := errors.New("rollback")
	err = st.WithTx(ctx, func(ctx context.Context) error {
		if err := svc.PublishActivity(ctx, newActivity(actor, "1"), []string{"http://b.test/inbox"}, service.PriorityBulk); err != nil {
			return err
		}
		if len(w.woken()) != 0 {
			t.Error("workers woken before the commit")
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if len(w.woken()) != 0 {
		t.Fatalf("a rolled-back publish woke the workers: %v", w.woken())
	}
	if due, _ := svc.DueDeliveries(ctx, time.Now().Add(time.Hour), 10); len(due) != 0 {
		t.Fatalf("a rolled-back publish left deliveries: %+v", due)
	}
}

func TestPublishActivityRefusesIncompleteActivities(t *testing.T) {
	svc, actor := newDeliveryService(t, &deliveryWaker{})
	for name, act := range map[string]*models.Activity{
		"nil":      nil,
		"no JSON":  {IRI: "http://org-a.test/activities/x", ActorID: actor.ID},
		"no actor": {IRI: "http://org-a.test/activities/x", JSON: "{}"},
		"no id":    {ActorID: actor.ID, JSON: "{}"},
	} {
		err := svc.PublishActivity(context.Background(), act, []string{"http://b.test/inbox"}, service.PriorityBulk)
		if service.KindOf(err) != service.KindInvalid {
			t.Errorf("%s: err %v, want KindInvalid", name, err)
		}
	}
}

func TestRecordDeliveryResults(t *testing.T) {
	ctx := context.Background()
	svc, actor := newDeliveryService(t, nil)
	act := newActivity(actor, "1")
	if err := svc.PublishActivity(ctx, act, []string{"http://a.test/i", "http://b.test/i", "http://c.test/i", "http://d.test/i"}, service.PriorityBulk); err != nil {
		t.Fatal(err)
	}
	ds, _ := svc.ActivityDeliveries(ctx, act.ID)
	now := time.Now().UTC().Truncate(time.Second)
	later := now.Add(time.Minute)
	n, err := svc.RecordDeliveryResults(ctx, []service.DeliveryResult{
		{ID: ds[0].ID, State: models.DeliveryDone, Attempts: 1, LastStatus: 202, At: now},
		{ID: ds[1].ID, State: models.DeliveryDone, Attempts: 1, LastStatus: 200, At: now},
		{ID: ds[2].ID, State: models.DeliveryPending, Attempts: 1, LastStatus: 503, LastError: "busy", NextAttemptAt: later, At: now},
		{ID: ds[3].ID, State: models.DeliveryFailed, Attempts: 1, LastStatus: 400, LastError: "bad", At: now},
	})
	if err != nil || n != 4 {
		t.Fatalf("RecordDeliveryResults = %d, %v", n, err)
	}
	got, _ := svc.ActivityDeliveries(ctx, act.ID)
	if got[0].State != models.DeliveryDone || got[0].LastStatus != 202 || got[1].LastStatus != 200 || got[0].DeliveredAt == nil {
		t.Fatalf("done rows: %+v %+v", got[0], got[1])
	}
	if got[2].State != models.DeliveryPending || !got[2].NextAttemptAt.Equal(later) || got[2].LastError != "busy" || got[2].Attempts != 1 {
		t.Fatalf("retry row: %+v", got[2])
	}
	if got[3].State != models.DeliveryFailed || got[3].LastStatus != 400 {
		t.Fatalf("failed row: %+v", got[3])
	}
	// A late failure of a duplicate send does not undo a success.
	n, err = svc.RecordDeliveryResults(ctx, []service.DeliveryResult{
		{ID: ds[0].ID, State: models.DeliveryPending, Attempts: 2, LastStatus: 500, NextAttemptAt: later, At: later},
	})
	if err != nil || n != 0 {
		t.Fatalf("late failure changed %d rows (err %v)", n, err)
	}
	if d, _ := svc.Delivery(ctx, ds[0].ID); d.State != models.DeliveryDone {
		t.Fatalf("success undone: %+v", d)
	}
	if n, err := svc.RecordDeliveryResults(ctx, nil); n != 0 || err != nil {
		t.Fatalf("empty batch: %d, %v", n, err)
	}
}

func TestClaimDeliveryNotDueIsNotFound(t *testing.T) {
	ctx := context.Background()
	svc, actor := newDeliveryService(t, nil)
	act := newActivity(actor, "1")
	if err := svc.PublishActivity(ctx, act, []string{"http://a.test/i"}, service.PriorityBulk); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ds, err := svc.ClaimDeliveries(ctx, act.ID, now, now.Add(time.Minute), 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("ClaimDeliveries = %v, %v", ds, err)
	}
	if _, err := svc.ClaimDelivery(ctx, ds[0].ID, now, now.Add(time.Minute)); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("claiming a leased row: %v, want KindNotFound", err)
	}
	if err := svc.RescheduleDeliveries(ctx, []int64{ds[0].ID}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ClaimDelivery(ctx, ds[0].ID, now, now.Add(time.Minute)); err != nil {
		t.Fatalf("claiming a handed-back row: %v", err)
	}
	if due, _ := svc.DueDeliveries(ctx, now.Add(2*time.Minute), 10); len(due) != 1 {
		t.Fatalf("due after the lease: %v", due)
	}
}

func TestSigningKey(t *testing.T) {
	ctx := context.Background()
	svc, actor := newDeliveryService(t, nil)
	keyID, pem, err := svc.SigningKey(ctx, actor.ID)
	if err != nil || keyID != actor.PublicKeyID || pem != actor.PrivateKeyPEM {
		t.Fatalf("SigningKey = %q, %d bytes, %v", keyID, len(pem), err)
	}
	if _, _, err := svc.SigningKey(ctx, 999999); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("missing actor: %v", err)
	}
}

func TestMarkInboxGoneAndHostState(t *testing.T) {
	ctx := context.Background()
	svc, _ := newDeliveryService(t, nil)
	if n, err := svc.MarkInboxGone(ctx, "http://nobody.test/inbox"); err != nil || n != 0 {
		t.Fatalf("MarkInboxGone = %d, %v", n, err)
	}
	h, err := svc.UpdateHostState(ctx, "B.test", func(h *models.RemoteHost) { h.ConsecutiveFailures = 3 })
	if err != nil || h.Host != "b.test" || h.ConsecutiveFailures != 3 {
		t.Fatalf("UpdateHostState = %+v, %v", h, err)
	}
	if err := svc.MarkHostAlive(ctx, " b.test "); err != nil {
		t.Fatal(err)
	}
	hs, err := svc.HostStates(ctx, []string{"b.test"})
	if err != nil || hs["b.test"].ConsecutiveFailures != 0 || hs["b.test"].LastSuccessAt == nil {
		t.Fatalf("after MarkHostAlive: %+v, %v", hs, err)
	}
	if err := svc.MarkHostAlive(ctx, ""); err != nil {
		t.Fatalf("MarkHostAlive of no host: %v", err)
	}
}
