package analyze

import (
	"math"
	"reflect"
	"testing"
	"time"
)

func line(n int, slope float64) []point {
	pts := make([]point, n)
	for i := range pts {
		pts[i] = point{x: float64(i), y: 10 + slope*float64(i)}
	}
	return pts
}

func TestTheilSen(t *testing.T) {
	outlier := line(21, 2)
	outlier[10].y += 500
	tests := []struct {
		name             string
		pts              []point
		slope, low, high float64
	}{
		{"exact line", line(10, 2), 2, 2, 2},
		{"flat", line(10, 0), 0, 0, 0},
		{"one outlier does not move it", outlier, 2, 2, 2},
		{"one point", line(1, 5), 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := theilSen(tt.pts)
			if got.slope != tt.slope || got.low != tt.low || got.high != tt.high {
				t.Errorf("got %v (%v to %v), want %v (%v to %v)", got.slope, got.low,
					got.high, tt.slope, tt.low, tt.high)
			}
		})
	}
}

// For n = 10 points there are 45 slopes; C = 1.96 sqrt(10*9*25/18) = 21.9,
// so the interval runs from rank floor((45-21.9)/2) = 11 to rank
// ceil((45+21.9)/2)+1 = 35.
func TestSenIntervalRanks(t *testing.T) {
	sorted := make([]float64, 45)
	for i := range sorted {
		sorted[i] = float64(i + 1)
	}
	lo, hi := senInterval(sorted, 10)
	if lo != 11 || hi != 35 {
		t.Errorf("interval ranks %v to %v, want 11 to 35", lo, hi)
	}
}

func TestThinKeepsEnds(t *testing.T) {
	pts := line(2001, 1)
	got := thin(pts, 500)
	if len(got) != 500 || got[0] != pts[0] || got[499] != pts[2000] {
		t.Errorf("thin kept %d points, ends %v %v", len(got), got[0], got[len(got)-1])
	}
	if s := theilSen(pts).slope; math.Abs(s-1) > 1e-9 {
		t.Errorf("slope of a thinned line = %v, want 1", s)
	}
}

func TestMakeFinite(t *testing.T) {
	d := 2.0
	res := Result{Growth: Growth{Goroutines: &SeriesGrowth{Slope: math.Inf(1)}},
		Phases: []Phase{{Rate: math.NaN()}}, PerStream: PerStream{PerStream: &d}}
	if !makeFinite(reflect.ValueOf(&res)) {
		t.Fatal("found nothing")
	}
	if res.Growth.Goroutines.Slope != 0 || res.Phases[0].Rate != 0 || *res.PerStream.PerStream != 2 {
		t.Errorf("got %+v", res)
	}
}

func TestNumGroupsThousands(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{15763, "15,763"}, {-1048576, "-1,048,576"}, {999, "999"}, {1234.5, "1234.5"},
		{0.05, "0.05"}, {-0.001, "0"},
	}
	for _, tt := range tests {
		if got := num(tt.in); got != tt.want {
			t.Errorf("num(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestShortDurationIsTheReportStyle(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{5 * time.Minute, "5m"}, {158 * time.Second, "2m38s"}, {45 * time.Second, "45s"},
		{65 * time.Minute, "1h05m"},
	}
	for _, tt := range tests {
		if got := shortDuration(tt.in); got != tt.want {
			t.Errorf("shortDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
