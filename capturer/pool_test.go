package capturer

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPoolFIFO(t *testing.T) {
	p := newPool(1)
	ctx := context.Background()
	if err := p.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	order := make(chan int, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.acquire(ctx); err != nil {
				t.Error(err)
				return
			}
			order <- i
			p.release()
		}()
		waitFor(t, func() bool { return p.waiting() == i+1 })
	}
	p.release()
	wg.Wait()
	close(order)
	want := 0
	for got := range order {
		if got != want {
			t.Errorf("slot went to waiter %d, want %d (first in, first out)", got, want)
		}
		want++
	}
}

// TestPoolFairness runs more followers than slots, each yielding at every
// rotation, and checks that a follower that gives its slot up gets one
// back before N-capacity slots go to others: with every holder rotating
// once per period, that is within ceil(N/capacity) rotation periods.
// Nobody starves.
func TestPoolFairness(t *testing.T) {
	tests := []struct{ capacity, followers int }{
		{1, 3}, {2, 7}, {5, 11}, {50, 55},
	}
	for _, tt := range tests {
		p := newPool(tt.capacity)
		var worst atomic.Int64
		var turns sync.Map // follower id -> rotations it held a slot for
		var wg sync.WaitGroup
		ctx := context.Background()
		const rotations = 20
		gate := make(chan struct{}) // opens once every follower holds or waits
		for id := range tt.followers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := p.acquire(ctx); err != nil {
					t.Error(err)
					return
				}
				<-gate
				for r := range rotations {
					turns.Store(id, r+1)
					time.Sleep(50 * time.Microsecond)
					if p.waiting() == 0 {
						continue
					}
					p.release()
					n, err := p.acquireCounted(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					waited := int64(n)
					for w := worst.Load(); waited > w && !worst.CompareAndSwap(w, waited); {
						w = worst.Load()
					}
				}
				p.release()
			}()
		}
		waitFor(t, func() bool { return p.held()+p.waiting() == tt.followers })
		close(gate)
		wg.Wait()
		if got, bound := worst.Load(), int64(tt.followers-tt.capacity); got > bound {
			t.Errorf("capacity %d, %d followers: a follower waited %d grants, want at most %d",
				tt.capacity, tt.followers, got, bound)
		}
		turns.Range(func(id, n any) bool {
			if n.(int) != rotations {
				t.Errorf("follower %v held a slot %d times, want %d", id, n, rotations)
			}
			return true
		})
		if p.held() != 0 || p.waiting() != 0 {
			t.Errorf("after all released: held %d, waiting %d; want 0, 0", p.held(), p.waiting())
		}
	}
}

func TestPoolWaiterCancelled(t *testing.T) {
	p := newPool(1)
	if err := p.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.acquire(ctx) }()
	waitFor(t, func() bool { return p.waiting() == 1 })
	cancel()
	if err := <-done; err == nil {
		t.Fatal("acquire with a cancelled context returned nil")
	}
	if p.waiting() != 0 || p.held() != 1 {
		t.Errorf("waiting %d, held %d; want 0, 1", p.waiting(), p.held())
	}
	p.release()
	if err := p.acquire(context.Background()); err != nil {
		t.Errorf("slot lost after a cancelled waiter: %v", err)
	}
}

func TestPoolYieldWithoutWaiters(t *testing.T) {
	p := newPool(1)
	ctx := context.Background()
	if err := p.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.yield(ctx); err != nil {
		t.Fatal(err)
	}
	if p.held() != 1 {
		t.Errorf("held = %d after yield with nobody waiting, want 1", p.held())
	}
}

func TestPoolStalled(t *testing.T) {
	now := time.Unix(1000, 0)
	p := newPool(1)
	p.now = func() time.Time { return now }
	if err := p.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.acquire(ctx) //nolint:errcheck // ends with cancel
	waitFor(t, func() bool { return p.waiting() == 1 })
	now = now.Add(time.Minute)
	if got := p.stalledFor(); got != time.Minute {
		t.Errorf("stalledFor = %s, want 1m", got)
	}
	cancel()
	waitFor(t, func() bool { return p.waiting() == 0 })
	if got := p.stalledFor(); got != 0 {
		t.Errorf("stalledFor with nobody waiting = %s, want 0", got)
	}
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
