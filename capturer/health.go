package capturer

import "sync"

// Components that report health.
const (
	componentDiscovery = "discovery"
	componentSink      = "sink"
	componentPool      = "pool"
)

// componentState is one component's health and why.
type componentState struct {
	Healthy bool   `json:"healthy"`
	Detail  string `json:"detail"`
}

// health holds each component's state. Health means progress: a component
// that cannot move forward reports unhealthy.
type health struct {
	mu     sync.Mutex
	states map[string]componentState
	probes map[string]func() componentState
}

func newHealth() *health {
	return &health{
		states: map[string]componentState{},
		probes: map[string]func() componentState{},
	}
}

// set records a component's state.
func (h *health) set(component string, healthy bool, detail string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.states[component] = componentState{Healthy: healthy, Detail: detail}
}

// probe registers a component whose state is computed when asked.
func (h *health) probe(component string, f func() componentState) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.probes[component] = f
}

// snapshot returns every component's state and whether all are healthy.
func (h *health) snapshot() (map[string]componentState, bool) {
	h.mu.Lock()
	out := make(map[string]componentState, len(h.states)+len(h.probes))
	for k, v := range h.states {
		out[k] = v
	}
	probes := make(map[string]func() componentState, len(h.probes))
	for k, f := range h.probes {
		probes[k] = f
	}
	h.mu.Unlock()

	for k, f := range probes {
		out[k] = f()
	}
	ok := true
	for _, s := range out {
		ok = ok && s.Healthy
	}
	return out, ok
}
