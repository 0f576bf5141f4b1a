package analyze

import (
	"fmt"
	"math"
	"slices"
)

// poolSaturation is criterion 2: active streams equal min(containers,
// capacity). One checkpoint off is a rotation in flight and only noted; two
// in a row, or the final checkpoint off, fail.
func (s *scorer) poolSaturation(cr *CriterionResult) {
	cr.Target = "active streams = min(containers, capacity)"
	var off []int
	run, worstRun, checked := 0, 0, 0
	lastOff := false
	for i := range s.cps {
		want, ok := s.expectedStreams(i)
		got, gotOK := sumAt(s.active, i)
		if !ok || !gotOK {
			continue
		}
		checked++
		lastOff = got != want
		if lastOff {
			off = append(off, s.cps[i].Index)
			run++
			worstRun = max(worstRun, run)
		} else {
			run = 0
		}
	}
	cr.First, _ = sumAt(s.active, 0)
	cr.Last, _ = sumAt(s.active, len(s.cps)-1)
	switch {
	case checked == 0:
		cr.Verdict, cr.Result = Inconclusive, "not measurable"
		cr.Reason = "no checkpoint has active streams, capacity and containers together"
		return
	case lastOff || worstRun >= 2:
		cr.Verdict = Fail
		cr.Reason = "active streams differ from min(containers, capacity) at checkpoints " +
			intList(off)
	default:
		cr.Verdict = Pass
		if len(off) > 0 {
			s.note("pool: active streams off by a rotation in flight at checkpoint(s) %s",
				intList(off))
		}
	}
	want, _ := s.expectedStreams(len(s.cps) - 1)
	cr.Result = fmt.Sprintf("equal at %d of %d checkpoints (final %s of %s)",
		checked-len(off), checked, num(cr.Last), num(want))
}

// expectedStreams is min(containers, capacity) at checkpoint i. Containers
// are those the harness saw running at that checkpoint, else
// RunInfo.Containers, else the containers-followed metric.
func (s *scorer) expectedStreams(i int) (float64, bool) {
	capa, ok := sumAt(s.capacity, i)
	if !ok {
		return 0, false
	}
	n := float64(s.run.Info.Containers)
	if r := s.cps[i].Running; r != nil {
		n = float64(*r)
	}
	if n == 0 && s.cps[i].Running == nil {
		if n, ok = sumAt(s.followed, i); !ok {
			return 0, false
		}
	}
	return math.Min(n, capa), true
}

// rotationsRising is criterion 5: every label set has rotated at least once
// and rose within the recent window (see recentStart).
func (s *scorer) rotationsRising(cr *CriterionResult) {
	cr.Target = "more than 0, and still increasing"
	s.judgeCounter(cr, s.rotations, "rotations", s.stillRising)
}

// judgeCounter sets a counter criterion's first and last totals and its
// result, and judges every label set of it: the worst verdict wins.
func (s *scorer) judgeCounter(cr *CriterionResult, sers []*series, what string,
	judge func(*series) (Verdict, string)) {
	cr.First, _ = sumAt(sers, 0)
	cr.Last, _ = sumAt(sers, len(s.cps)-1)
	cr.Verdict = Pass
	cr.Result = fmt.Sprintf("%s %s during the run", num(cr.Last-cr.First), what)
	for _, ser := range sers {
		v, why := judge(ser)
		if rank(v) > rank(cr.Verdict) {
			cr.Verdict, cr.Reason = v, labelled(ser.key, why)
		}
	}
}

func (s *scorer) stillRising(ser *series) (Verdict, string) {
	last, ok := lastOK(ser)
	if !ok {
		return Inconclusive, "no value"
	}
	k, full := s.recentStart(last)
	if ser.vals[last] <= 0 {
		if !full {
			return Inconclusive, "no rotation yet; the run is shorter than the rotation window"
		}
		return Fail, "no rotation at all"
	}
	if ser.vals[last] > ser.vals[k] {
		return Pass, ""
	}
	why := fmt.Sprintf("no rotation since checkpoint %d (%.1f min before the final one)",
		s.cps[k].Index, s.mins[last]-s.mins[k])
	if !full {
		return Inconclusive, why + "; the run is shorter than the rotation window"
	}
	return Fail, why
}

// recentStart is the checkpoint at which the recent window before checkpoint
// last starts: the latest one at least max(a third of the run, rotate-every
// plus one checkpoint interval) earlier. full is false when the run is
// shorter than that and the window starts at the first checkpoint.
func (s *scorer) recentStart(last int) (k int, full bool) {
	window := s.mins[last] / 3
	if re := s.run.Info.RotateEvery.Minutes(); re > 0 {
		window = math.Max(window, re+s.run.Info.Interval.Minutes())
	}
	for k = last - 1; k >= 0; k-- {
		if s.mins[last]-s.mins[k] >= window {
			return k, true
		}
	}
	return 0, false
}

func lastOK(ser *series) (int, bool) {
	for i := len(ser.ok) - 1; i >= 0; i-- {
		if ser.ok[i] {
			return i, true
		}
	}
	return 0, false
}

// liveness checks that lines captured keep rising: no two checkpoint
// intervals in a row without a new line (FAIL), and a rise over the last
// interval (else INCONCLUSIVE: it may have just frozen).
func (s *scorer) liveness(cr *CriterionResult) {
	cr.Target = "lines rise between checkpoints"
	s.judgeCounter(cr, s.lines, "lines", s.rising)
}

func (s *scorer) rising(ser *series) (Verdict, string) {
	var idx []int
	for i, ok := range ser.ok {
		if ok {
			idx = append(idx, i)
		}
	}
	if len(idx) < 2 {
		return Inconclusive, "fewer than two values"
	}
	var flat []int
	run, worst, worstAt := 0, 0, 0
	for k := 1; k < len(idx); k++ {
		if ser.vals[idx[k]] > ser.vals[idx[k-1]] {
			run = 0
			continue
		}
		flat = append(flat, s.cps[idx[k]].Index)
		if run++; run > worst {
			worst, worstAt = run, k
		}
	}
	switch {
	case worst >= 2:
		a, b := idx[worstAt-worst], idx[worstAt]
		return Fail, fmt.Sprintf("frozen: no new line from checkpoint %d to %d (%.1f min)",
			s.cps[a].Index, s.cps[b].Index, s.mins[b]-s.mins[a])
	case len(flat) > 0 && flat[len(flat)-1] == s.cps[idx[len(idx)-1]].Index:
		return Inconclusive, "no new line between the last two checkpoints"
	case len(flat) > 0:
		s.note("liveness: no new line at checkpoint(s) %s", intList(flat))
	}
	return Pass, ""
}

// completeness scores RunInfo.Completeness: any lost or repeated line fails.
func (s *scorer) completeness() *CompletenessResult {
	in := s.run.Info.Completeness
	if in == nil || !s.c.Enabled(CritCompleteness) {
		return nil
	}
	out := &CompletenessResult{Verdict: Pass, Containers: len(in.Containers)}
	for _, c := range in.Containers {
		out.Emitted += c.Emitted
		out.Captured += c.Captured
		out.Lost += c.Lost
		out.Repeated += c.Repeated
		if !c.FinalSeen {
			out.NoFinal++
		}
		if c.Lost > 0 || c.Repeated > 0 {
			out.Worst = append(out.Worst, c)
		}
	}
	slices.SortStableFunc(out.Worst, func(a, b ContainerLines) int {
		return int(b.Lost+b.Repeated) - int(a.Lost+a.Repeated)
	})
	out.Worst = out.Worst[:min(len(out.Worst), 20)]
	if out.Lost > 0 || out.Repeated > 0 {
		out.Verdict = Fail
	}
	if out.NoFinal > 0 {
		s.note("completeness: %d container(s) without a captured final line; their "+
			"emitted count is the highest sequence number seen", out.NoFinal)
	}
	return out
}
