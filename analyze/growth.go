package analyze

import (
	"fmt"
	"math"
	"time"
)

// growthOf measures the trend of one series from its first point (the
// baseline) to its last, x in minutes.
func growthOf(metric string, pts []point) SeriesGrowth {
	g := SeriesGrowth{Metric: metric, Points: len(pts)}
	if len(pts) == 0 {
		return g
	}
	first, last := pts[0], pts[len(pts)-1]
	g.Baseline, g.Final = first.y, last.y
	g.Min, g.Max = first.y, first.y
	for _, p := range pts {
		g.Min, g.Max = math.Min(g.Min, p.y), math.Max(g.Max, p.y)
	}
	g.Delta = last.y - first.y
	if span := last.x - first.x; span >= minSpan {
		g.PerMinute = g.Delta / span
	}
	t := theilSen(pts)
	g.Slope, g.SlopeLow, g.SlopeHigh, g.Noise = t.slope, t.low, t.high, t.noise
	g.LastThird = theilSen(lastThird(pts)).slope
	return g
}

// shortRun tells whether pts are too few or too short to judge a trend, and
// why.
func shortRun(pts []point, c Criteria) (bool, string) {
	if len(pts) < max(c.MinCheckpoints, 2) {
		what := "checkpoints"
		if len(pts) == 1 {
			what = "checkpoint"
		}
		return true, fmt.Sprintf("only %d %s, %d needed", len(pts), what,
			max(c.MinCheckpoints, 2))
	}
	span := pts[len(pts)-1].x - pts[0].x
	if span < c.MinDuration.Minutes() {
		return true, fmt.Sprintf("only %s from baseline to final, %s needed",
			shortDuration(time.Duration(span*float64(time.Minute))),
			shortDuration(c.MinDuration))
	}
	return false, ""
}

// judgeGrowth applies the goroutine growth rules of docs/VERDICTS.md to one
// series with threshold thr per minute, and sets g.Trend. The rules, in
// order:
//
//  1. Too few checkpoints or too short a run: INCONCLUSIVE.
//  2. The last third's Theil-Sen interval lies at or above thr (its lower
//     bound >= thr): FAIL, still growing.
//  3. The whole run's interval lies at or above thr, or final minus
//     baseline per minute is thr or more: FAIL, unless the last third's
//     slope is at most thr/2 (a plateau), then INCONCLUSIVE.
//  4. The whole run's interval lies strictly below thr (its upper bound
//     < thr): PASS, unless the interval is wider than MaxNoise times thr:
//     INCONCLUSIVE, too noisy.
//  5. Otherwise the interval reaches thr: INCONCLUSIVE, too noisy.
func judgeGrowth(g *SeriesGrowth, pts []point, thr float64, c Criteria) (Verdict, string) {
	g.Trend = trendName(*g, thr)
	if short, why := shortRun(pts, c); short {
		g.Trend = "unclear"
		return Inconclusive, "too short: " + why
	}
	v, why := judgeTrend(g, pts, thr)
	if v == Pass && c.MaxNoise > 0 && g.SlopeHigh-g.SlopeLow > c.MaxNoise*thr {
		g.Trend = "unclear"
		return Inconclusive, fmt.Sprintf("too noisy: 95%% interval of the slope, "+
			"%s to %s/min, is wider than %s times the threshold",
			num(g.SlopeLow), num(g.SlopeHigh), num(c.MaxNoise))
	}
	return v, why
}

// judgeTrend applies rules 2 to 5 of judgeGrowth, the noise bound aside.
func judgeTrend(g *SeriesGrowth, pts []point, thr float64) (Verdict, string) {
	last := theilSen(lastThird(pts))
	if atLeast(last.low, thr) {
		return Fail, fmt.Sprintf("still growing: %s/min over the last third "+
			"(95%% interval %s to %s)", num(last.slope), num(last.low), num(last.high))
	}
	if atLeast(g.SlopeLow, thr) || atLeast(g.PerMinute, thr) {
		if g.LastThird <= thr/2 {
			g.Trend = "plateau"
			return Inconclusive, fmt.Sprintf("grew %s/min from baseline, then "+
				"held flat over the last third (%s/min): bounded growth or a "+
				"slow leak; run longer to tell", num(g.PerMinute), num(g.LastThird))
		}
		return Fail, fmt.Sprintf("growing %s/min (95%% interval %s to %s), "+
			"%s/min from baseline to final", num(g.Slope), num(g.SlopeLow),
			num(g.SlopeHigh), num(g.PerMinute))
	}
	if !atLeast(g.SlopeHigh, thr) {
		return Pass, ""
	}
	g.Trend = "unclear"
	return Inconclusive, fmt.Sprintf("too noisy: 95%% interval of the slope, "+
		"%s to %s/min, reaches the threshold %s/min",
		num(g.SlopeLow), num(g.SlopeHigh), num(thr))
}

// trendName labels a series by its slopes relative to thr.
func trendName(g SeriesGrowth, thr float64) string {
	flat := math.Max(thr/4, 1e-9)
	switch {
	case g.SlopeLow > flat && g.LastThird <= thr/2 && g.Slope > thr/2:
		return "plateau"
	case g.SlopeLow > flat:
		return "growing"
	case g.SlopeHigh < -flat:
		return "declining"
	}
	return "flat"
}

// atLeast reports whether x >= thr, allowing for the rounding of a rate
// computed from elapsed seconds (a clean +2/min reads as 1.9999999).
func atLeast(x, thr float64) bool {
	return x >= thr-1e-9*math.Max(1, math.Abs(thr))
}

// shortDuration writes d as the report writes durations: "45s", "5m",
// "2m38s", "1h05m".
func shortDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour && d%time.Minute == 0:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
