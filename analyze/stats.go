package analyze

import (
	"math"
	"slices"
)

// maxTrendPoints caps the points a Theil-Sen estimate uses: beyond it the
// points are thinned evenly, so an imported timeline of thousands of rows
// costs at most about 125,000 pairwise slopes.
const maxTrendPoints = 500

// minSpan is the shortest time, in minutes, a rate is computed over: two
// checkpoints closer than that count as one moment, so that no rate is
// infinite.
const minSpan = 1e-6

// point is one observation of a series: minutes since the baseline and a
// value.
type point struct {
	x, y float64
}

// trend is a robust line through a series.
type trend struct {
	slope, low, high float64 // per minute; [low, high] is the 95% interval
	intercept        float64
	noise            float64 // median absolute residual
}

// median returns the median of v, or 0 for an empty slice. It sorts a copy.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return sortedMedian(s)
}

func sortedMedian(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// theilSen fits a Theil-Sen line: the median of the slopes between every pair
// of points with distinct x. Its 95% interval is Sen's (1968), from the
// normal approximation of Kendall's S without tie correction. With fewer than
// two distinct x the slope is 0 and the interval is empty around it.
func theilSen(pts []point) trend {
	pts = thin(pts, maxTrendPoints)
	slopes := pairSlopes(pts)
	if len(slopes) == 0 {
		return trend{intercept: median(ys(pts))}
	}
	slices.Sort(slopes)
	t := trend{slope: sortedMedian(slopes)}
	t.low, t.high = senInterval(slopes, len(pts))
	t.intercept, t.noise = fitResiduals(pts, t.slope)
	return t
}

func pairSlopes(pts []point) []float64 {
	slopes := make([]float64, 0, len(pts)*(len(pts)-1)/2)
	for i := range pts {
		for j := i + 1; j < len(pts); j++ {
			dx := pts[j].x - pts[i].x
			if dx >= minSpan {
				slopes = append(slopes, (pts[j].y-pts[i].y)/dx)
			}
		}
	}
	return slopes
}

// senInterval returns the 95% interval of a Theil-Sen slope from its sorted
// pairwise slopes and the number of points.
func senInterval(sorted []float64, n int) (low, high float64) {
	const z = 1.959964
	fn := float64(n)
	c := z * math.Sqrt(fn*(fn-1)*(2*fn+5)/18)
	nn := float64(len(sorted))
	lo := int(math.Floor((nn - c) / 2)) // 1-based rank of the lower bound
	hi := int(math.Ceil((nn+c)/2)) + 1  // 1-based rank of the upper bound
	lo = min(max(lo, 1), len(sorted))
	hi = min(max(hi, 1), len(sorted))
	return sorted[lo-1], sorted[hi-1]
}

// fitResiduals returns the intercept (median of y - slope*x) and the median
// absolute residual of the line.
func fitResiduals(pts []point, slope float64) (intercept, noise float64) {
	r := make([]float64, len(pts))
	for i, p := range pts {
		r[i] = p.y - slope*p.x
	}
	intercept = median(r)
	for i := range r {
		r[i] = math.Abs(r[i] - intercept)
	}
	return intercept, median(r)
}

// thin keeps at most limit points, evenly spaced by index, always the first
// and the last.
func thin(pts []point, limit int) []point {
	if len(pts) <= limit || limit < 2 {
		return pts
	}
	out := make([]point, 0, limit)
	step := float64(len(pts)-1) / float64(limit-1)
	for i := range limit {
		out = append(out, pts[int(math.Round(float64(i)*step))])
	}
	return out
}

func ys(pts []point) []float64 {
	v := make([]float64, len(pts))
	for i, p := range pts {
		v[i] = p.y
	}
	return v
}

// lastThird returns the points of the last third of the series by count,
// at least three when the series has them.
func lastThird(pts []point) []point {
	n := max(len(pts)/3+1, 3)
	if n > len(pts) {
		n = len(pts)
	}
	return pts[len(pts)-n:]
}

// robustSigma estimates the noise of a series from its successive
// differences, ignoring a trend and a few jumps: 1.4826 times the median
// absolute deviation of the differences, over the square root of two.
func robustSigma(pts []point) float64 {
	if len(pts) < 3 {
		return 0
	}
	d := make([]float64, len(pts)-1)
	for i := range d {
		d[i] = pts[i+1].y - pts[i].y
	}
	m := median(d)
	for i := range d {
		d[i] = math.Abs(d[i] - m)
	}
	return 1.4826 * median(d) / math.Sqrt2
}
