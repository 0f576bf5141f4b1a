package analyze

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
)

// scorer holds the state of one Score call: the run, the criteria, and the
// series read from the checkpoints.
type scorer struct {
	run  Run
	c    Criteria
	cps  []Checkpoint
	mins []float64 // minutes since the first checkpoint
	from int       // first checkpoint scored for growth (after a restart)
	res  *Result
	errs []error

	goroutines, fds, maxFDs, rss, start []*series
	active, capacity, rotations, lines  []*series
	healthy, followed                   []*series
}

// Score turns a run into a verdict; docs/VERDICTS.md states the rules. It
// reads the goroutine profiles and dumps the checkpoints name from run.Dir.
// A metric an enabled criterion needs that never appears is an error
// wrapping ErrMissingMetric (one per metric, joined); the Result is still
// filled with everything else, its verdict INCONCLUSIVE at best.
func Score(run Run, c Criteria) (Result, error) {
	res := Result{Settings: c, Incomplete: run.Info.Incomplete,
		Notes: slices.Clone(run.Notes)}
	if n := capturerNote(run.Info); n != "" {
		res.Notes = append(res.Notes, n)
	}
	if err := c.Validate(); err != nil {
		return res, err
	}
	if len(run.Checkpoints) == 0 {
		return res, ErrNoCheckpoints
	}
	mins, err := minutesOf(run.Checkpoints)
	if err != nil {
		return res, err
	}
	s := &scorer{run: run, c: c, cps: run.Checkpoints, mins: mins, res: &res}

	s.readMetrics()
	s.findRestarts()
	s.fillTimeline()
	s.scoreCriteria()
	s.findPhases()
	s.attributeLeaks()
	s.arithmetic()
	s.decide()
	if makeFinite(reflect.ValueOf(&res)) {
		res.Notes = append(res.Notes, "a figure was not a finite number and is shown as 0")
	}
	return res, errors.Join(s.errs...)
}

// minutesOf returns the minutes of each checkpoint since the first, from
// Elapsed, or from Time when Elapsed was not recorded. Time must not go
// backwards.
func minutesOf(cps []Checkpoint) ([]float64, error) {
	useTime := len(cps) > 1 && cps[len(cps)-1].Elapsed == cps[0].Elapsed &&
		cps[len(cps)-1].Time.After(cps[0].Time)
	mins := make([]float64, len(cps))
	for i, cp := range cps {
		if useTime {
			mins[i] = cp.Time.Sub(cps[0].Time).Minutes()
		} else {
			mins[i] = (cp.Elapsed - cps[0].Elapsed) / 60
		}
		if i > 0 && mins[i] < mins[i-1] {
			return nil, fmt.Errorf("checkpoint %d: time goes backwards", cp.Index)
		}
	}
	return mins, nil
}

// readMetrics reads every series the enabled criteria need, and records a
// MissingMetricError for each one that never appears.
func (s *scorer) readMetrics() {
	m := s.c.Metrics
	s.goroutines = s.need(m.Goroutines, CritGoroutines, "metric-goroutines", false)
	s.fds = s.need(m.OpenFDs, CritFDs, "metric-open-fds", false)
	s.active = s.need(m.StreamsActive, CritPool, "metric-streams-active", false)
	s.capacity = s.need(m.PoolCapacity, CritPool, "metric-pool-capacity", false)
	s.healthy = s.need(m.Healthy, CritHealth, "metric-healthy", false)
	s.rotations = summed(s.need(m.Rotations, CritRotations, "metric-rotations", true))
	s.lines = summed(s.need(m.Lines, CritLiveness, "metric-lines", true))
	s.maxFDs = readSeries(s.cps, m.MaxFDs, false)
	s.rss = readSeries(s.cps, m.ResidentBytes, false)
	s.start = readSeries(s.cps, m.StartTime, false)
	s.followed = readSeries(s.cps, m.ContainersFollowed, false)
}

// need reads a metric; if its criterion is enabled and the metric never
// appears, it records the error.
func (s *scorer) need(name, crit, flag string, counter bool) []*series {
	ss := readSeries(s.cps, name, counter)
	if !s.c.Enabled(crit) {
		return ss
	}
	if len(ss) == 0 {
		s.errs = append(s.errs, &MissingMetricError{Metric: name, Criterion: crit, Flag: flag})
		return nil
	}
	if miss := missingAt(ss, s.cps); len(miss) > 0 {
		s.note("%s missing at checkpoints %s", name, intList(miss))
	}
	return ss
}

func (s *scorer) note(format string, args ...any) {
	s.res.Notes = append(s.res.Notes, fmt.Sprintf(format, args...))
}

// findRestarts reports each change of the target's start time by more than a
// second, and moves the growth baseline after the last one.
func (s *scorer) findRestarts() {
	if len(s.start) == 0 {
		return
	}
	st := s.start[0]
	prev := -1
	for i := range s.cps {
		if !st.ok[i] {
			continue
		}
		if prev >= 0 && math.Abs(st.vals[i]-st.vals[prev]) > 1 {
			s.res.Restarts = append(s.res.Restarts, Restart{
				Index: s.cps[i].Index, Elapsed: s.cps[i].Elapsed,
				Before: unixTime(st.vals[prev]), After: unixTime(st.vals[i])})
			s.from = i
		}
		prev = i
	}
	if s.from > 0 {
		s.note("target restarted %d time(s); growth is measured from checkpoint %d, "+
			"the first after the last restart", len(s.res.Restarts), s.cps[s.from].Index)
	}
}

func unixTime(sec float64) time.Time {
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC()
}

func intList(v []int) string {
	parts := make([]string, 0, min(len(v), 11))
	for i, n := range v {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(v)-10))
			break
		}
		parts = append(parts, fmt.Sprint(n))
	}
	return strings.Join(parts, ", ")
}

// fillTimeline builds one row per checkpoint, label sets summed.
func (s *scorer) fillTimeline() {
	rows := make([]TimelineRow, len(s.cps))
	for i, cp := range s.cps {
		r := TimelineRow{Index: cp.Index, Time: cp.Time, Elapsed: cp.Elapsed,
			Minutes: s.mins[i], Errors: cp.Errors}
		r.Goroutines = ptrAt(s.goroutines, i)
		r.FDs = ptrAt(s.fds, i)
		r.MaxFDs = ptrAt(s.maxFDs, i)
		r.RSS = ptrAt(s.rss, i)
		r.ActiveStreams = ptrAt(s.active, i)
		r.PoolCapacity = ptrAt(s.capacity, i)
		r.Rotations = ptrAt(s.rotations, i)
		r.Lines = ptrAt(s.lines, i)
		r.Healthy, r.Unhealthy = healthAt(s.healthy, i)
		rows[i] = r
		if len(cp.Errors) > 0 {
			s.note("checkpoint %d: %s", cp.Index, strings.Join(cp.Errors, "; "))
		}
	}
	s.res.Timeline = rows
	s.res.Checkpoints = len(s.cps)
	s.res.Duration = time.Duration(s.mins[len(s.mins)-1] * float64(time.Minute))
}

func ptrAt(ss []*series, i int) *float64 {
	v, ok := sumAt(ss, i)
	if !ok {
		return nil
	}
	return &v
}

// healthAt is true when every label set present at checkpoint i is 1.
func healthAt(ss []*series, i int) (*bool, []string) {
	var bad []string
	found := false
	for _, s := range ss {
		if v, ok := s.at(i); ok {
			found = true
			if v != 1 {
				bad = append(bad, orNone(s.key))
			}
		}
	}
	if !found {
		return nil, nil
	}
	h := len(bad) == 0
	return &h, bad
}

func orNone(key string) string {
	if key == "" {
		return "(no labels)"
	}
	return key
}

// capturerNote names the capturer binary measured, as the soak's note does,
// so a re-score keeps it; empty when run.json does not record one.
func capturerNote(info RunInfo) string {
	if info.CapturerBinary == "" {
		return ""
	}
	sum := info.CapturerSHA256
	if sum == "" {
		sum = "not recorded"
	}
	return fmt.Sprintf("capturer measured: %s (sha256 %s)", info.CapturerBinary, sum)
}
