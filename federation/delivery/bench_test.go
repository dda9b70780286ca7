package delivery_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/service"
)

// BenchmarkFanout sends one activity to 1,000 inboxes on 100 loopback
// hosts (each its own HTTP server) per iteration: claim, sign each request
// at send time, POST, and record the outcomes. Publishing (inserting the
// rows) is not timed. The receivers only read the body, so the figure is
// the sender's.
func BenchmarkFanout(b *testing.B) {
	const hosts, perHost = 100, 10
	r := newRig(b)
	for h := range hosts {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			_, _ = io.Copy(io.Discard, req.Body)
			w.WriteHeader(http.StatusAccepted)
		}))
		b.Cleanup(srv.Close)
		r.mu.Lock()
		r.addrs[fmt.Sprintf("b%d.test", h)] = srv.Listener.Addr().String()
		r.mu.Unlock()
	}
	var inboxes []string
	for h := range hosts {
		for u := range perHost {
			inboxes = append(inboxes, fmt.Sprintf("http://b%d.test/u/%d/inbox", h, u))
		}
	}
	client := r.client(30 * time.Second)
	s := r.sender(client, nil, delivery.Options{})
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		act := r.publish(inboxes, service.PriorityBulk)
		b.StartTimer()
		sum, err := s.DeliverActivity(ctx, act.ID)
		if err != nil || sum.Delivered != len(inboxes) {
			b.Fatalf("summary %+v, err %v", sum, err)
		}
	}
	b.ReportMetric(float64(len(inboxes)*b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
