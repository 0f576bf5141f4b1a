package capturer

import (
	"context"
	"sync"
	"time"
)

// pool hands out a bounded number of stream slots, first come first served.
// A waiter is never dropped: it waits until it gets a slot or its context
// ends.
type pool struct {
	mu        sync.Mutex
	capacity  int
	active    int
	queue     []*waiter
	lastGrant time.Time
	grants    int // slots handed out so far
	now       func() time.Time
}

// waiter is one follower queued for a slot; granted is closed when the slot
// is handed over.
type waiter struct {
	granted chan struct{}
	since   time.Time
	queued  int // grants when it queued
	waited  int // grants to others while it waited, set when granted
}

func newPool(capacity int) *pool {
	return &pool{capacity: capacity, now: time.Now}
}

// acquire blocks until the caller holds a slot or ctx ends.
func (p *pool) acquire(ctx context.Context) error {
	_, err := p.acquireCounted(ctx)
	return err
}

// acquireCounted is acquire that also returns how many slots went to
// others while the caller waited: in a first-in, first-out queue never
// more than the waiters ahead of it.
func (p *pool) acquireCounted(ctx context.Context) (int, error) {
	p.mu.Lock()
	if p.active < p.capacity && len(p.queue) == 0 {
		p.active++
		p.grant()
		p.mu.Unlock()
		return 0, nil
	}
	w := &waiter{granted: make(chan struct{}), since: p.now(), queued: p.grants}
	p.queue = append(p.queue, w)
	p.mu.Unlock()

	select {
	case <-w.granted:
		return w.waited, nil
	case <-ctx.Done():
		p.abandon(w)
		return 0, ctx.Err()
	}
}

// grant counts a slot handed out; called with mu held.
func (p *pool) grant() {
	p.grants++
	p.lastGrant = p.now()
}

// abandon takes w out of the queue, or passes on the slot it was just given.
func (p *pool) abandon(w *waiter) {
	p.mu.Lock()
	for i, q := range p.queue {
		if q == w {
			p.queue = append(p.queue[:i], p.queue[i+1:]...)
			p.mu.Unlock()
			return
		}
	}
	p.mu.Unlock()
	p.release()
}

// release gives a slot back: to the first waiter if there is one.
func (p *pool) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		p.active--
		return
	}
	w := p.queue[0]
	p.queue[0] = nil
	p.queue = p.queue[1:]
	w.waited = p.grants - w.queued
	p.grant()
	close(w.granted)
}

// yield gives the slot to the first waiter, if any, and queues at the back
// for the next one. It returns holding a slot, or with ctx's error and none.
func (p *pool) yield(ctx context.Context) error {
	if p.waiting() == 0 {
		return nil
	}
	p.release()
	return p.acquire(ctx)
}

// waiting returns how many followers wait for a slot.
func (p *pool) waiting() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue)
}

// held returns how many slots are taken.
func (p *pool) held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.active
}

// stalledFor says how long waiters have gone without any slot handed out,
// or 0 when nobody waits.
func (p *pool) stalledFor() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		return 0
	}
	from := p.queue[0].since
	if p.lastGrant.After(from) {
		from = p.lastGrant
	}
	return p.now().Sub(from)
}
