package analyze

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// ErrMissingMetric is wrapped by Score's error when a metric a criterion
// needs never appears in the run. It is never read as zero.
var ErrMissingMetric = errors.New("metric never appears in the run")

// MissingMetricError names a metric that never appeared and the criterion
// that needed it.
type MissingMetricError struct {
	Metric    string
	Criterion string
	Flag      string // the flag that names the metric
}

// Error says which metric is missing and how to fix the command line.
func (e *MissingMetricError) Error() string {
	return fmt.Sprintf("metric %q (criterion %s) never appears in the run; "+
		"name it with --%s or skip the criterion with --disable %s",
		e.Metric, e.Criterion, e.Flag, e.Criterion)
}

// Unwrap makes errors.Is(err, ErrMissingMetric) hold.
func (e *MissingMetricError) Unwrap() error { return ErrMissingMetric }

// series is one label set of a metric across the checkpoints: vals and ok
// are aligned with the checkpoints, ok false where no value was scraped.
type series struct {
	key  string
	vals []float64
	ok   []bool
}

// points returns the values present from checkpoint from on, with x the
// minutes since the first checkpoint.
func (s *series) points(mins []float64, from int) []point {
	var pts []point
	for i := from; i < len(s.vals); i++ {
		if s.ok[i] {
			pts = append(pts, point{x: mins[i], y: s.vals[i]})
		}
	}
	return pts
}

// at returns the value at checkpoint i.
func (s *series) at(i int) (float64, bool) { return s.vals[i], s.ok[i] }

// labelKey renders a label set as `a="1",b="2"`, sorted; "" for none.
func labelKey(l map[string]string) string {
	switch len(l) {
	case 0:
		return ""
	case 1:
		for k, v := range l {
			return k + "=" + strconv.Quote(v)
		}
	}
	keys := slices.Sorted(maps.Keys(l))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(l[k])
	}
	return strings.Join(parts, ",")
}

// readSeries returns the label sets of metric name across cps, sorted by
// label set, or nil if the metric never appears. A checkpoint whose scrape
// failed (no metrics at all) has no value. For a counter, a label set that
// first appears at a later checkpoint counts 0 at the scraped checkpoints
// before it (Prometheus creates labelled counters at their first
// increment), and resets are undone so the series never decreases.
func readSeries(cps []Checkpoint, name string, counter bool) []*series {
	if name == "" {
		return nil
	}
	byKey := map[string]*series{}
	for i, cp := range cps {
		for _, smp := range cp.Metrics[name] {
			k := labelKey(smp.Labels)
			s := byKey[k]
			if s == nil {
				s = &series{key: k, vals: make([]float64, len(cps)),
					ok: make([]bool, len(cps))}
				byKey[k] = s
			}
			s.vals[i] += smp.Value
			s.ok[i] = true
		}
	}
	out := make([]*series, 0, len(byKey))
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		s := byKey[k]
		if counter {
			zeroFillCounter(s, cps)
			undoResets(s)
		}
		out = append(out, s)
	}
	return out
}

func zeroFillCounter(s *series, cps []Checkpoint) {
	for i := range s.vals {
		if s.ok[i] {
			return
		}
		if len(cps[i].Metrics) > 0 {
			s.ok[i] = true
		}
	}
}

// undoResets adds the value before each decrease to everything after it, as
// Prometheus's increase() does.
func undoResets(s *series) {
	var offset, prev float64
	seen := false
	for i, v := range s.vals {
		if !s.ok[i] {
			continue
		}
		if seen && v < prev {
			offset += prev
		}
		prev, seen = v, true
		s.vals[i] = v + offset
	}
}

// sumAt is the sum of the label sets present at checkpoint i.
func sumAt(ss []*series, i int) (float64, bool) {
	var sum float64
	found := false
	for _, s := range ss {
		if v, ok := s.at(i); ok {
			sum += v
			found = true
		}
	}
	return sum, found
}

// missingAt lists the checkpoint indexes at which no label set of ss has a
// value.
func missingAt(ss []*series, cps []Checkpoint) []int {
	var idx []int
	for i := range cps {
		if _, ok := sumAt(ss, i); !ok {
			idx = append(idx, cps[i].Index)
		}
	}
	return idx
}

// summed adds the label sets of counters into one series: lines and
// rotations are judged as totals, since one label set (stderr, say) may
// rightly stay still.
func summed(ss []*series) []*series {
	if len(ss) <= 1 {
		return ss
	}
	n := len(ss[0].vals)
	out := &series{vals: make([]float64, n), ok: make([]bool, n)}
	for i := range n {
		out.vals[i], out.ok[i] = sumAt(ss, i)
	}
	return []*series{out}
}
