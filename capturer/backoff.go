package capturer

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff spaces out retries: capped exponential growth with jitter, so
// that many streams failing together do not retry in the same instant.
type backoff struct {
	base, cap time.Duration
	attempt   int
	jitter    func() float64 // in [0, 1)
}

func newBackoff(base, cap time.Duration) *backoff {
	return &backoff{base: base, cap: cap, jitter: rand.Float64}
}

// next returns the delay before the next retry: a random duration between
// half and all of min(cap, base*2^attempt).
func (b *backoff) next() time.Duration {
	d := b.cap
	if b.attempt < 30 && b.base<<b.attempt < b.cap {
		d = b.base << b.attempt
	}
	b.attempt++
	half := d / 2
	return half + time.Duration(b.jitter()*float64(d-half))
}

// reset starts over after a success.
func (b *backoff) reset() { b.attempt = 0 }

// wait sleeps for the next delay, or until ctx ends.
func (b *backoff) wait(ctx context.Context) error {
	return sleep(ctx, b.next())
}

// sleep waits for d or until ctx ends, with a timer and no goroutine.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
