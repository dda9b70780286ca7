package service_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/service"
)

// flood marks n inbound requests in flight and returns what ends them.
func flood(svc *service.Service, n int) (end func()) {
	dones := make([]func(), n)
	for i := range dones {
		dones[i] = svc.Receiving()
	}
	return func() {
		for _, d := range dones {
			d()
		}
	}
}

// startBatch runs YieldToReceiving on its own goroutine and reports when
// the batch may start, with the func that ends it.
func startBatch(ctx context.Context, svc *service.Service) <-chan func() {
	ch := make(chan func(), 1)
	go func() {
		done, err := svc.YieldToReceiving(ctx)
		if err != nil {
			close(ch)
			return
		}
		ch <- done
	}()
	return ch
}

// waitStarted fails the test if the batch has not started within a
// generous bound (it only guards against a hang).
func waitStarted(t *testing.T, ch <-chan func(), what string) func() {
	t.Helper()
	select {
	case done, ok := <-ch:
		if !ok {
			t.Fatalf("%s: YieldToReceiving failed", what)
		}
		return done
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still waiting after 10 s", what)
		return nil
	}
}

// notStarted fails the test if the batch starts within d.
func notStarted(t *testing.T, ch <-chan func(), d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s started while it should wait", what)
	case <-time.After(d):
	}
}

// With a few requests in flight, batches run at once and side by side.
func TestYieldToReceivingQuietInboxDoesNotWait(t *testing.T) {
	svc := service.New(service.Deps{})
	defer flood(svc, 3)()
	var wg sync.WaitGroup
	dones := make(chan func(), 4)
	for range 4 {
		wg.Go(func() {
			done, err := svc.YieldToReceiving(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			dones <- done // held: the others must not wait for it
		})
	}
	wg.Wait()
	close(dones)
	n := 0
	for d := range dones {
		d()
		n++
	}
	if n != 4 {
		t.Fatalf("%d of 4 batches started", n)
	}
	if got := svc.ReceivingInFlight(); got != 3 {
		t.Fatalf("%d requests in flight, want 3", got)
	}
}

// While the inbox is busy, batches run one at a time, each pausing after
// the previous one for a multiple of its time; when the flood ends they
// run freely again, and a paused batch gives up when its worker stops.
func TestYieldToReceivingBusyInboxPacesBatches(t *testing.T) {
	svc := service.New(service.Deps{})
	ctx := context.Background()
	end := flood(svc, 20)

	first := waitStarted(t, startBatch(ctx, svc), "first batch")
	second := startBatch(ctx, svc)
	notStarted(t, second, 50*time.Millisecond, "a second batch beside the first")
	// The first batch takes 100 ms in all; the next owes it a pause of
	// three times that once it ends.
	time.Sleep(50 * time.Millisecond)
	first()
	notStarted(t, second, 150*time.Millisecond, "the batch after a 100 ms batch, 150 ms later,")
	secondDone := waitStarted(t, second, "second batch")

	// A worker shutting down while its batch waits for the slot.
	stopping, cancel := context.WithCancel(ctx)
	third := startBatch(stopping, svc)
	cancel()
	if _, ok := <-third; ok {
		t.Fatal("a waiting batch started though its worker stopped")
	}
	_, err := svc.YieldToReceiving(stopping)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("YieldToReceiving on a stopped worker: %v", err)
	}

	// The requests end with a batch still running: after the short
	// grace for the next wave, a new batch need not wait for it.
	end()
	fourth := startBatch(ctx, svc)
	waitStarted(t, fourth, "a batch after the flood")()
	secondDone()
}

// Requests answered by one commit end together; the moment between two
// waves of a flood, with nothing in flight, still counts as busy.
func TestYieldToReceivingBusyBetweenWaves(t *testing.T) {
	svc := service.New(service.Deps{})
	ctx := context.Background()
	flood(svc, 20)() // a wave, answered
	waveEnd := time.Now()
	running := waitStarted(t, startBatch(ctx, svc), "first batch")
	next := startBatch(ctx, svc)
	select {
	case <-next:
		// Only wrong if the grace after the wave (100 ms) had not run
		// out: a machine too slow to get here in time proves nothing.
		if time.Since(waveEnd) < 100*time.Millisecond {
			t.Fatal("a second batch started beside the first right after a wave")
		}
		t.Log("the grace after the wave ran out before the check")
	case <-time.After(20 * time.Millisecond):
		running()
		waitStarted(t, next, "second batch")()
		return
	}
	running()
}
