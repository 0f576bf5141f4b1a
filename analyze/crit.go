package analyze

import (
	"fmt"
	"slices"
	"strings"
)

// scoreCriteria scores the five criteria, liveness and completeness.
func (s *scorer) scoreCriteria() {
	s.res.Criteria = []CriterionResult{
		s.gate(CritGoroutines, s.c.Metrics.Goroutines, s.goroutineGrowth),
		s.gate(CritPool, s.c.Metrics.StreamsActive+","+s.c.Metrics.PoolCapacity,
			s.poolSaturation),
		s.gate(CritFDs, s.c.Metrics.OpenFDs, s.fdGrowth),
		s.gate(CritHealth, s.c.Metrics.Healthy, s.health),
		s.gate(CritRotations, s.c.Metrics.Rotations, s.rotationsRising),
	}
	s.res.Liveness = s.gate(CritLiveness, s.c.Metrics.Lines, s.liveness)
	s.res.Completeness = s.completeness()
	s.memoryGrowth()
}

// gate runs one criterion unless it is disabled or its metric is missing.
func (s *scorer) gate(name, metric string, f func(*CriterionResult)) CriterionResult {
	cr := CriterionResult{Name: name, Metric: metric}
	switch {
	case !s.c.Enabled(name):
		cr.Verdict, cr.Result = Skipped, "disabled"
	case s.missing(name):
		cr.Verdict, cr.Result = Inconclusive, "metric missing"
		cr.Reason = "a metric it needs never appears in the run"
	default:
		f(&cr)
	}
	return cr
}

func (s *scorer) missing(crit string) bool {
	for _, e := range s.errs {
		if m, ok := e.(*MissingMetricError); ok && m.Criterion == crit {
			return true
		}
	}
	return false
}

// worstGrowth measures every label set of a gauge from the baseline,
// judges each, and keeps the worst in *keep and cr: the highest verdict
// rank, ties broken by worse. It returns that rank, -1 when no label set
// has a value since the baseline.
func (s *scorer) worstGrowth(cr *CriterionResult, sers []*series, metric string,
	keep **SeriesGrowth, judge func(*SeriesGrowth, []point) (Verdict, string),
	worse func(g, cur *SeriesGrowth) bool) int {
	worst := -1
	for _, ser := range sers {
		pts := ser.points(s.mins, s.from)
		if len(pts) == 0 {
			continue
		}
		g := growthOf(metric, pts)
		g.Series = ser.key
		v, why := judge(&g, pts)
		if rank(v) > worst || (rank(v) == worst && worse(&g, *keep)) {
			worst = rank(v)
			*keep = &g
			cr.Verdict, cr.Reason = v, labelled(ser.key, why)
			cr.First, cr.Last = g.Baseline, g.Final
		}
	}
	return worst
}

// goroutineGrowth is criterion 1, judged per label set; the worst wins.
func (s *scorer) goroutineGrowth(cr *CriterionResult) {
	thr := s.c.MaxGoroutineGrowth
	cr.Target = fmt.Sprintf("below %s/min", num(thr))
	worst := s.worstGrowth(cr, s.goroutines, s.c.Metrics.Goroutines, &s.res.Growth.Goroutines,
		func(g *SeriesGrowth, pts []point) (Verdict, string) {
			return judgeGrowth(g, pts, thr, s.c)
		},
		func(g, cur *SeriesGrowth) bool { return g.Slope > cur.Slope })
	g := s.res.Growth.Goroutines
	if worst < 0 {
		cr.Verdict, cr.Result = Inconclusive, "no value since the baseline"
		return
	}
	switch {
	case g != nil && g.Points < 3:
		cr.Result = fmt.Sprintf("%s/min (too few checkpoints for a slope)", num(g.PerMinute))
	case g != nil:
		cr.Result = fmt.Sprintf("%s/min (Theil-Sen %s/min, 95%% %s to %s; last third %s/min)",
			num(g.PerMinute), num(g.Slope), num(g.SlopeLow), num(g.SlopeHigh),
			num(g.LastThird))
	}
}

// fdGrowth is criterion 3: final minus baseline below the threshold.
func (s *scorer) fdGrowth(cr *CriterionResult) {
	thr := s.c.MaxFDGrowth
	cr.Target = fmt.Sprintf("growth below %s over the run", num(thr))
	worst := s.worstGrowth(cr, s.fds, s.c.Metrics.OpenFDs, &s.res.Growth.FDs,
		func(g *SeriesGrowth, pts []point) (Verdict, string) {
			g.Trend = trendName(*g, thr/max(1, pts[len(pts)-1].x-pts[0].x))
			if g.Delta >= thr {
				return Fail, fmt.Sprintf("grew by %s, from %s to %s", num(g.Delta),
					num(g.Baseline), num(g.Final))
			}
			if short, w := shortRun(pts, s.c); short {
				return Inconclusive, "too short: " + w
			}
			return Pass, ""
		},
		func(g, cur *SeriesGrowth) bool { return g.Delta > cur.Delta })
	if worst < 0 {
		cr.Verdict, cr.Result = Inconclusive, "no value since the baseline"
		return
	}
	if g := s.res.Growth.FDs; g != nil {
		cr.Result = fmt.Sprintf("%s (from %s to %s)", signed(g.Delta), num(g.Baseline),
			num(g.Final))
	}
}

// memoryGrowth measures resident memory, for the projections only.
func (s *scorer) memoryGrowth() {
	if len(s.rss) == 0 {
		return
	}
	pts := s.rss[0].points(s.mins, s.from)
	if len(pts) == 0 {
		return
	}
	g := growthOf(s.c.Metrics.ResidentBytes, pts)
	g.Trend = "n/a"
	s.res.Growth.Memory = &g
}

// health is criterion 4: every label set is 1 at every checkpoint.
func (s *scorer) health(cr *CriterionResult) {
	cr.Target = "healthy at every checkpoint"
	bad := map[string][]int{}
	badCount, seen := 0, 0
	for i := range s.cps {
		h, who := healthAt(s.healthy, i)
		if h == nil {
			continue
		}
		seen++
		if !*h {
			badCount++
		}
		for _, k := range who {
			bad[k] = append(bad[k], s.cps[i].Index)
		}
	}
	cr.First, cr.Last = healthFigure(s.healthy, 0), healthFigure(s.healthy, len(s.cps)-1)
	cr.Result = fmt.Sprintf("unhealthy at %d of %d checkpoints", badCount, seen)
	cr.Verdict = Pass
	if badCount > 0 {
		cr.Verdict = Fail
		var parts []string
		for _, k := range sortedKeys(bad) {
			parts = append(parts, fmt.Sprintf("%s at %s", k, intList(bad[k])))
		}
		cr.Reason = "unhealthy: " + strings.Join(parts, "; ")
	}
}

// healthFigure is the number of healthy label sets at checkpoint i.
func healthFigure(ss []*series, i int) float64 {
	var n float64
	for _, s := range ss {
		if v, ok := s.at(i); ok && v == 1 {
			n++
		}
	}
	return n
}

func sortedKeys(m map[string][]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// rank orders verdicts from best to worst.
func rank(v Verdict) int {
	switch v {
	case Fail:
		return 3
	case Inconclusive:
		return 2
	case Pass:
		return 1
	}
	return 0
}

func labelled(key, why string) string {
	if key == "" || why == "" {
		return why
	}
	return key + ": " + why
}

// num prints a figure with at most two decimals and no trailing zeros.
func num(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return grouped(s)
}

// grouped puts thousands separators into a whole number of 1,000 or more,
// as the report writes its figures; other numbers are left as they are.
func grouped(s string) string {
	digits := strings.TrimPrefix(s, "-")
	if len(digits) < 4 || strings.ContainsAny(digits, ".e") {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:len(s)-len(digits)])
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func signed(v float64) string {
	if v > 0 {
		return "+" + num(v)
	}
	return num(v)
}
