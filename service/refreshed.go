package service

import (
	"context"
	"sync/atomic"
	"time"
)

// refreshed is a process's in-memory copy of a small table that every
// received or sent request consults (the blocked servers, the bans), so
// that asking costs no query. It is read again at most every `every`;
// a change this process makes replaces it at once (reload), and the
// other processes see it within `every`.
//
// No lock is held while the table is read: on SQLite there is one
// connection, and a caller inside a transaction (an inbox batch run) must
// never wait for a caller that waits for that connection. Concurrent
// first reads may all read; each copy is swapped in only over the one it
// replaces, so a read that began before a change cannot undo it.
type refreshed[T any] struct {
	every time.Duration
	read  func(ctx context.Context) (T, error)

	copy atomic.Pointer[copyAt[T]]
	// reading is set while one caller reads the table again; the others
	// go on with the copy they have.
	reading atomic.Bool
}

// copyAt is the table as read at a time.
type copyAt[T any] struct {
	v  T
	at time.Time
}

// get returns the copy, reading the table first when there is none or it
// is older than every. ok is false when there is no copy and the table
// cannot be read (the database is down).
func (r *refreshed[T]) get(ctx context.Context, now time.Time) (v T, ok bool) {
	c := r.copy.Load()
	switch {
	case c == nil:
		fresh, err := r.read(ctx)
		if err != nil {
			return v, false
		}
		c = &copyAt[T]{v: fresh, at: now}
		if !r.copy.CompareAndSwap(nil, c) {
			// Another read, or a change (reload), got there first.
			if newer := r.copy.Load(); newer != nil {
				c = newer
			}
		}
	case now.Sub(c.at) >= r.every && r.reading.CompareAndSwap(false, true):
		fresh := &copyAt[T]{v: c.v, at: now.Add(time.Second - r.every)} // on failure, not again for a second
		if v, err := r.read(ctx); err == nil {
			fresh = &copyAt[T]{v: v, at: now}
		}
		// A change this process made meanwhile (reload) is newer than
		// what this read may have found, and is kept.
		if r.copy.CompareAndSwap(c, fresh) {
			c = fresh
		} else if newer := r.copy.Load(); newer != nil {
			c = newer
		}
		r.reading.Store(false)
	}
	return c.v, true
}

// reload applies a change made by this process at once: the table is
// read after the change committed, so whatever copy another caller swaps
// in later began its read later still, or finds this one in place.
func (r *refreshed[T]) reload(ctx context.Context, now time.Time) {
	v, err := r.read(ctx)
	if err != nil {
		r.copy.Store(nil) // read at the next question
		return
	}
	r.copy.Store(&copyAt[T]{v: v, at: now})
}
