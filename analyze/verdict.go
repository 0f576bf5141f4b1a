package analyze

import (
	"fmt"
	"slices"
)

// findPhases cuts the goroutine series (the worst label set) into phases.
func (s *scorer) findPhases() {
	g := s.res.Growth.Goroutines
	if g == nil {
		return
	}
	i := slices.IndexFunc(s.goroutines, func(x *series) bool { return x.key == g.Series })
	if i < 0 {
		return
	}
	ser := s.goroutines[i]
	var pts []point
	var idx []int
	for k := s.from; k < len(s.cps); k++ {
		if ser.ok[k] {
			pts = append(pts, point{x: s.mins[k] - s.mins[s.from], y: ser.vals[k]})
			idx = append(idx, s.cps[k].Index)
		}
	}
	s.res.Phases = phasesOf(pts, idx, s.cps[s.from].Elapsed, s.c.MaxGoroutineGrowth)
	if ps := s.res.Phases; len(ps) > 0 && ps[0].Kind == PhaseSettling && ps[0].To > ps[0].From {
		s.note("goroutines were still rising at the baseline (settling until checkpoint %d, "+
			"%s to %s): a longer warm-up would start the baseline after it",
			ps[0].EndIndex, num(ps[0].From), num(ps[0].To))
	}
}

// decide sets the run's verdict and reasons: FAIL if any enabled criterion
// failed; else INCONCLUSIVE if any was inconclusive, a metric was missing,
// or the target restarted; else PASS.
func (s *scorer) decide() {
	all := append(slices.Clone(s.res.Criteria), s.res.Liveness)
	if c := s.res.Completeness; c != nil {
		all = append(all, CriterionResult{Name: CritCompleteness, Verdict: c.Verdict,
			Reason: fmt.Sprintf("%d lines lost, %d repeated", c.Lost, c.Repeated)})
	}
	verdict := Pass
	var fails, others []string
	for _, cr := range all {
		switch cr.Verdict {
		case Fail:
			fails = append(fails, cr.Name+": "+cr.Reason)
		case Inconclusive:
			others = append(others, cr.Name+": "+cr.Reason)
		}
		if rank(cr.Verdict) > rank(verdict) {
			verdict = cr.Verdict
		}
	}
	for _, e := range s.errs {
		others = append(others, e.Error())
	}
	if len(s.res.Restarts) > 0 {
		others = append(others, fmt.Sprintf("the target restarted %d time(s) during "+
			"the run", len(s.res.Restarts)))
	}
	if verdict == Pass && len(others) > 0 {
		verdict = Inconclusive
	}
	s.res.Verdict = verdict
	s.res.Reasons = append(fails, others...)
	if s.res.Incomplete {
		s.note("the run was interrupted before its end; the verdict covers what was recorded")
	}
}
