package reports

import (
	"math"
)

// Chart holds what the charts of a run draw: a few series of one value per
// checkpoint, over elapsed minutes. It is plain numbers so it can be built
// and tested without a run.
type Chart struct {
	// Title heads the SVG chart.
	Title string
	// Minutes is the elapsed time of each checkpoint since the run started.
	Minutes []float64
	// Series are drawn as panels stacked over one shared time axis, one
	// panel each, so series of different scales stay readable.
	Series []Series
	// Baseline is the minute of the baseline checkpoint; NaN when none.
	Baseline float64
	// WarmupEnd is the minute the warm-up ended; shaded before it. Zero or
	// NaN when there was no warm-up.
	WarmupEnd float64
	// Marks are events drawn as vertical lines across every panel, such as
	// a restart of the target.
	Marks []Mark
}

// Mark is an event at one moment of the run.
type Mark struct {
	Minute float64
	Label  string
}

// Series is one line of a chart: a value per checkpoint, NaN where the
// checkpoint has none.
type Series struct {
	// Name labels the panel, such as "goroutines".
	Name string
	// Values has one entry per Chart.Minutes entry.
	Values []float64
}

// points returns the (minute, value) pairs of s that have a value.
func (c Chart) points(s Series) (xs, ys []float64) {
	for i, m := range c.Minutes {
		if i >= len(s.Values) || math.IsNaN(s.Values[i]) || math.IsNaN(m) {
			continue
		}
		xs = append(xs, m)
		ys = append(ys, s.Values[i])
	}
	return xs, ys
}

// niceTicks returns round tick values covering [lo, hi], about n of them.
func niceTicks(lo, hi float64, n int) []float64 {
	if math.IsNaN(lo) || math.IsNaN(hi) || hi < lo {
		return []float64{0, 1}
	}
	if hi == lo {
		hi = lo + 1
	}
	step := niceStep((hi - lo) / float64(max(n-1, 1)))
	start := math.Floor(lo/step) * step
	end := math.Ceil(hi/step) * step
	var ticks []float64
	for v := start; v <= end+step/2; v += step {
		ticks = append(ticks, math.Round(v/step)*step)
	}
	return ticks
}

// niceStep rounds a raw step up to 1, 2, 2.5 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// yRange returns the tick values of a panel's y axis: from zero (so a small
// rise looks small) up past the highest value.
func yRange(ys []float64) []float64 {
	lo, hi := 0.0, 1.0
	for _, y := range ys {
		lo = min(lo, y)
		hi = max(hi, y)
	}
	return niceTicks(lo, hi, 5)
}
