package service

import (
	"context"
	"time"
)

// wakeTimeout bounds one wake-up of the workers (an enqueue into Redis)
// after a commit. A wake-up that fails loses nothing: the rows are
// committed and the reconciler finds them. Without a bound, a request
// would wait for the Redis client's own retries whenever Redis is down
// (1.2–2.2 s per write in the fault tests); a healthy enqueue takes a
// few milliseconds.
const wakeTimeout = 500 * time.Millisecond

// wakeContext is the context of a wake-up after a commit: detached from
// the caller's cancellation (the rows are committed whatever the client
// does) and bounded by wakeTimeout.
func wakeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), wakeTimeout)
}
