package inbox

import (
	"strconv"
	"testing"
	"time"
)

func TestHostLimiterIsBounded(t *testing.T) {
	now := time.Now()
	l := newHostLimiter(1, 2, 100)
	// An exhausted host …
	for range 2 {
		if _, ok := l.take("busy.example", now); !ok {
			t.Fatal("burst refused")
		}
	}
	if _, ok := l.take("busy.example", now); ok {
		t.Fatal("over the burst allowed")
	}
	// … among a flood of invented hosts: the map never grows past its bound.
	for i := range 10000 {
		l.take("h"+strconv.Itoa(i)+".example", now)
		if n := l.trackedHosts(); n > 100 {
			t.Fatalf("%d hosts tracked, bound 100", n)
		}
	}
	// Buckets that have refilled are dropped first: a minute later, the
	// busy host's full bucket is forgotten and a new host evicts it rather
	// than anyone still in debt.
	later := now.Add(time.Minute)
	l2 := newHostLimiter(1, 2, 3)
	l2.take("old.example", now)
	l2.take("debt.example", later)
	l2.take("debt.example", later)
	l2.take("debt2.example", later)
	l2.take("new.example", later)
	if _, ok := l2.buckets["old.example"]; ok {
		t.Fatal("refilled bucket kept while the map was full")
	}
	if _, ok := l2.take("debt.example", later); ok {
		t.Fatal("a host in debt was forgotten before a refilled one")
	}
}
