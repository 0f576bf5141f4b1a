package capturer

import (
	"context"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		name   string
		jitter float64
		want   []time.Duration
	}{
		{"no jitter: half of each step", 0, []time.Duration{50, 100, 200, 400, 500, 500}},
		{"most jitter: all of each step", 0.999999999, []time.Duration{99, 199, 399, 799, 999, 999}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackoff(100*time.Millisecond, time.Second)
			b.jitter = func() float64 { return tt.jitter }
			for i, w := range tt.want {
				got := b.next().Truncate(time.Millisecond)
				if got != w*time.Millisecond {
					t.Errorf("step %d = %s, want %s", i, got, w*time.Millisecond)
				}
			}
			b.reset()
			if got := b.next(); got > 100*time.Millisecond {
				t.Errorf("after reset = %s, want at most 100ms", got)
			}
		})
	}
}

func TestBackoffSpreads(t *testing.T) {
	b := newBackoff(time.Second, time.Second)
	seen := map[time.Duration]bool{}
	for range 50 {
		d := b.next()
		if d < 500*time.Millisecond || d > time.Second {
			t.Fatalf("delay %s outside [500ms, 1s]", d)
		}
		seen[d.Truncate(10*time.Millisecond)] = true
	}
	if len(seen) < 10 {
		t.Errorf("50 delays took only %d distinct values: jitter does not spread", len(seen))
	}
}

func TestSleepEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleep(ctx, time.Hour); err == nil {
		t.Error("sleep with a cancelled context returned nil, want its error")
	}
}
