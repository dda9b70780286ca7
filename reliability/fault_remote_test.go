package reliability_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// resetThenAccept is a remote that resets the first n connections (TCP
// RST right after the request arrives) and answers 202 afterwards.
type resetThenAccept struct {
	n    int64
	hits atomic.Int64
}

func (r *resetThenAccept) serve(t *testing.T) net.Listener {
	l := listen(t)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					if r.hits.Add(1) <= r.n {
						_ = c.(*net.TCPConn).SetLinger(0) // close with RST
						return
					}
					_, _ = io.WriteString(c, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
				}
			}(c)
		}
	}()
	return l
}

// TestChecklist22ResetAndNXDOMAINAreRetried: a remote that resets the
// connection and a host name that does not resolve are passing failures,
// not final ones: the delivery is retried on the schedule (shortened here)
// until the remote answers or its name resolves, and then done.
func TestChecklist22ResetAndNXDOMAINAreRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	n := testrig.NewNetwork()
	inst := n.StartTuned(t, "org-a.test", fastTuning())
	reset := &resetThenAccept{n: 2}
	n.Add("reset.test", reset.serve(t).Addr().String())
	actor, err := inst.Service.InstanceActor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nxHost := "nx-" + testrig.RandomID() + ".test"
	resetInbox, nxInbox := "http://reset.test/inbox", "http://"+nxHost+"/inbox"
	iri := inst.BaseURL + "/activities/" + testrig.RandomID()
	act := &models.Activity{IRI: iri, Type: "Create", ActorID: actor.ID, Local: true,
		JSON: fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Create","actor":%q}`, iri, actor.IRI)}
	if err := inst.Service.PublishActivity(ctx, act, []string{resetInbox, nxInbox}, service.PriorityBulk); err != nil {
		t.Fatal(err)
	}
	state := func(inbox string) models.Delivery {
		ds, err := inst.Service.ActivityDeliveries(ctx, act.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.InboxURL == inbox {
				return d
			}
		}
		t.Fatalf("no delivery to %s", inbox)
		return models.Delivery{}
	}
	eventually(t, within, "the reset remote is served on the third attempt", func() bool {
		return state(resetInbox).State == models.DeliveryDone
	})
	if d := state(resetInbox); d.Attempts != 3 || reset.hits.Load() != 3 {
		t.Errorf("reset remote: %d attempts, %d requests; want 3 and 3", d.Attempts, reset.hits.Load())
	}
	eventually(t, within, "two failed attempts at the unresolvable host", func() bool {
		d := state(nxInbox)
		return d.State == models.DeliveryPending && d.Attempts >= 2
	})
	if d := state(nxInbox); !strings.Contains(d.LastError, "no such host") && !strings.Contains(d.LastError, "lookup") {
		t.Errorf("NXDOMAIN recorded as %q", d.LastError)
	}
	// The name starts to resolve: the next retry lands.
	var got atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusAccepted)
	})}
	l := listen(t)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	n.Add(nxHost, l.Addr().String())
	eventually(t, within, "the host delivered once its name resolves", func() bool {
		return state(nxInbox).State == models.DeliveryDone
	})
	if got.Load() != 1 {
		t.Errorf("the recovered host got %d requests, want 1", got.Load())
	}

}
