package capturer

import (
	"testing"
)

// metricValue gathers reg and returns the value of the series name whose
// labels include the given pairs (k1, v1, ...), or -1 when it is missing.
func metricValue(t testing.TB, m *metrics, name string, labels ...string) float64 {
	t.Helper()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
		for _, s := range mf.GetMetric() {
			if !hasLabels(s.GetLabel(), labels) {
				continue
			}
			switch {
			case s.GetCounter() != nil:
				return s.GetCounter().GetValue()
			case s.GetGauge() != nil:
				return s.GetGauge().GetValue()
			}
		}
	}
	return -1
}

func hasLabels[L interface {
	GetName() string
	GetValue() string
}](got []L, want []string) bool {
	for i := 0; i+1 < len(want); i += 2 {
		found := false
		for _, l := range got {
			found = found || (l.GetName() == want[i] && l.GetValue() == want[i+1])
		}
		if !found {
			return false
		}
	}
	return true
}

// TestMetricsContract checks every series docs/CONTRACTS.md names exists
// from the start, with its labels, and that none has a container label.
func TestMetricsContract(t *testing.T) {
	p := newPool(7)
	h := newHealth()
	h.set(componentDiscovery, true, "")
	h.set(componentSink, true, "")
	h.probe(componentPool, func() componentState { return componentState{Healthy: true} })
	m := newMetrics(p, h)
	m.capacity.Set(7)
	want := []struct {
		name   string
		labels []string
		value  float64
	}{
		{"logcap_streams_active", nil, 0},
		{"logcap_streams_open", nil, 0},
		{"logcap_stream_pool_capacity", nil, 7},
		{"logcap_streams_waiting", nil, 0},
		{"logcap_containers_followed", nil, 0},
		{"logcap_rotations_total", nil, 0},
		{"logcap_lines_total", nil, 0},
		{"logcap_bytes_total", nil, 0},
		{"logcap_lines_truncated_total", nil, 0},
		{"logcap_boundary_duplicates_dropped_total", nil, 0},
		{"logcap_stream_errors_total", []string{"reason", reasonOpen}, 0},
		{"logcap_stream_errors_total", []string{"reason", reasonRead}, 0},
		{"logcap_component_healthy", []string{"component", componentDiscovery}, 1},
		{"logcap_component_healthy", []string{"component", componentSink}, 1},
		{"logcap_component_healthy", []string{"component", componentPool}, 1},
		{"go_goroutines", nil, -2},
		{"process_open_fds", nil, -2},
		{"process_max_fds", nil, -2},
		{"process_resident_memory_bytes", nil, -2},
		{"process_start_time_seconds", nil, -2},
	}
	for _, w := range want {
		got := metricValue(t, m, w.name, w.labels...)
		switch {
		case got == -1:
			t.Errorf("%s%v missing", w.name, w.labels)
		case w.value != -2 && got != w.value:
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.value)
		}
	}
	families, _ := m.reg.Gather()
	for _, mf := range families {
		for _, s := range mf.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() != "reason" && l.GetName() != "component" &&
					len(mf.GetName()) > 7 && mf.GetName()[:7] == "logcap_" {
					t.Errorf("%s carries label %s", mf.GetName(), l.GetName())
				}
			}
		}
	}
}
