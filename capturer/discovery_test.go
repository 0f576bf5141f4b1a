package capturer

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
)

// recTracker records the starts discovery reports.
type recTracker struct {
	mu  sync.Mutex
	ids []string
}

func (r *recTracker) started(id, _ string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids = append(r.ids, id)
}

func (r *recTracker) removed(string) {}

func (r *recTracker) known() []string { return nil }

func (r *recTracker) saw(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.ids, id)
}

// TestDiscoveryReplaysStartsMissedBeforeAnyEvent breaks the events stream
// before any event came, and while discovery cannot reconnect a container
// starts, prints and exits: the session after the outage must ask for the
// events since the broken one began, or that container is never captured.
func TestDiscoveryReplaysStartsMissedBeforeAnyEvent(t *testing.T) {
	eng := newFakeEngine()
	tr := &recTracker{}
	h := newHealth()
	d := newDiscovery(eng, Filter{}, tr, h, slog.New(slog.DiscardHandler))
	d.back = newBackoff(time.Millisecond, 5*time.Millisecond)
	d.now = func() time.Time {
		eng.mu.Lock()
		defer eng.mu.Unlock()
		return time.Unix(0, eng.clock)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.run(ctx) }()
	defer func() { cancel(); <-done }()
	healthy := func() bool { s, _ := h.snapshot(); return s[componentDiscovery].Healthy }
	waitFor(t, healthy)

	eng.mu.Lock()
	eng.listErr = errors.New("daemon restarting")
	eng.mu.Unlock()
	eng.breakEvents(errors.New("connection reset"))
	waitFor(t, func() bool { return !healthy() })
	eng.add("c1", "brief", nil, false)
	eng.write("c1", streamStdout, "one\n", "two\n")
	eng.setRunning("c1", false)
	eng.mu.Lock()
	eng.listErr = nil
	eng.mu.Unlock()
	waitFor(t, healthy)
	waitFor(t, func() bool { return tr.saw("c1") })
}
