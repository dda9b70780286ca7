package service

import (
	"fmt"
	"testing"
	"time"
)

func TestLoginLimiterWindowAndBound(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	l := NewLoginLimiter(LoginLimits{PerAccount: 3, PerIP: 10, Window: 15 * time.Minute, MaxKeys: 100}, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if w := l.blocked("a", 3); w != 0 {
			t.Fatalf("blocked after %d failures", i)
		}
		l.fail("a")
	}
	if w := l.blocked("a", 3); w <= 0 || w > 15*time.Minute {
		t.Fatalf("after 3 failures wait %v, want (0, 15m]", w)
	}
	now = now.Add(15 * time.Minute)
	if w := l.blocked("a", 3); w != 0 {
		t.Fatalf("still blocked after the window: %v", w)
	}
	l.fail("b")
	l.reset("b")
	if l.blocked("b", 1) != 0 {
		t.Fatal("reset did not forget")
	}

	// A flood of distinct keys never grows the map past its bound.
	for i := 0; i < 10000; i++ {
		l.fail(fmt.Sprintf("ip:10.0.%d.%d", i/256, i%256))
	}
	if n := l.size(); n > 100 {
		t.Fatalf("limiter holds %d keys, bound is 100", n)
	}
}
