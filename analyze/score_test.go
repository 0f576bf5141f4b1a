package analyze

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)

// synth builds a run of n checkpoints one minute apart whose goroutines
// follow f(minute), with flat fds, a healthy capturer, a saturated pool, and
// lines and rotations rising.
func synth(n int, f func(m int) float64) Run {
	run := Run{Info: RunInfo{RunID: "test", Containers: 10,
		RotateEvery: 5 * time.Minute, Interval: time.Minute}}
	for m := range n {
		run.Checkpoints = append(run.Checkpoints, Checkpoint{
			Index: m, Time: t0.Add(time.Duration(m) * time.Minute),
			Elapsed: 120 + float64(m)*60,
			Metrics: map[string][]Sample{
				"go_goroutines":                 {{Value: math.Round(f(m))}},
				"process_open_fds":              {{Value: 40}},
				"process_max_fds":               {{Value: 1024}},
				"process_start_time_seconds":    {{Value: 1.7e9}},
				"logcap_streams_active":         {{Value: 10}},
				"logcap_stream_pool_capacity":   {{Value: 50}},
				"logcap_rotations_total":        {{Value: float64(m * 2)}},
				"logcap_lines_total":            {{Value: float64(1000 + m*500)}},
				"logcap_component_healthy":      health(1, 1, 1),
				"process_resident_memory_bytes": {{Value: 30e6}},
			},
		})
	}
	return run
}

func health(d, s, p float64) []Sample {
	return []Sample{
		{Labels: map[string]string{"component": "discovery"}, Value: d},
		{Labels: map[string]string{"component": "sink"}, Value: s},
		{Labels: map[string]string{"component": "pool"}, Value: p},
	}
}

func kinds(ps []Phase) string {
	var k []string
	for _, p := range ps {
		k = append(k, string(p.Kind))
	}
	return strings.Join(k, ",")
}

func TestScoreSyntheticSeries(t *testing.T) {
	noise := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name    string
		n       int
		f       func(m int) float64
		verdict Verdict
		phases  string
	}{
		{"clean", 31, func(m int) float64 { return 120 + float64(m%2) }, Pass, "stable"},
		{"steady leak", 31, func(m int) float64 { return 120 + 3*float64(m) }, Fail, "growth"},
		{"step leak then plateau", 31, func(m int) float64 {
			if m < 12 {
				return 120
			}
			return 270
		}, Inconclusive, "stable,growth,plateau"},
		{"warm-up spike that returns", 31, func(m int) float64 {
			return 120 + 200*math.Exp(-float64(m)/1.5)
		}, Pass, "settling,stable"},
		{"noisy but flat", 31, func(int) float64 {
			return 200 + noise.NormFloat64()*8
		}, Pass, "stable"},
		{"too noisy", 31, func(m int) float64 {
			return 200 + noise.NormFloat64()*80
		}, Inconclusive, "stable"},
		{"too short", 2, func(m int) float64 { return 120 + float64(m) }, Inconclusive, ""},
		{"late leak", 31, func(m int) float64 {
			return 120 + 6*math.Max(0, float64(m-20))
		}, Fail, "stable,growth"},
		{"warm-up rise that settles", 31, func(m int) float64 {
			return 320 - 200*math.Exp(-float64(m)/1.5)
		}, Inconclusive, "settling,stable"},
		{"leak per rotation, a staircase", 31, func(m int) float64 {
			return 120 + 15*float64(m/5)
		}, Fail, "stable,growth"},
		{"leak fixed by a restart of a pool", 31, func(m int) float64 {
			if m < 15 {
				return 120 + 4*float64(m)
			}
			return 180 - 4*float64(m-15)
		}, Pass, "growth,decline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Score(synth(tt.n, tt.f), DefaultCriteria())
			if err != nil {
				t.Fatalf("Score: %v", err)
			}
			if res.Verdict != tt.verdict {
				t.Errorf("verdict = %s, want %s; reasons %q; growth %+v",
					res.Verdict, tt.verdict, res.Reasons, *res.Growth.Goroutines)
			}
			if tt.phases != "" && kinds(res.Phases) != tt.phases {
				t.Errorf("phases = %s, want %s (%+v)", kinds(res.Phases), tt.phases, res.Phases)
			}
		})
	}
}

// The threshold is strict: "below 2 per minute" means exactly +2/min does
// not pass, over the whole run and over the last third alike.
func TestScoreGrowthExactlyAtTheThresholdFails(t *testing.T) {
	tests := []struct {
		name string
		n    int
		rate float64
		want Verdict
	}{
		{"+2/min over 7 minutes", 8, 2, Fail},
		{"+2/min over 30 minutes", 31, 2, Fail},
		{"+1.5/min over 30 minutes", 31, 1.5, Pass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := synth(tt.n, func(m int) float64 { return 40 + tt.rate*float64(m) })
			res, err := Score(run, DefaultCriteria())
			if err != nil {
				t.Fatal(err)
			}
			if got := criterion(res, CritGoroutines); got.Verdict != tt.want {
				t.Errorf("goroutines = %s (%s), want %s", got.Verdict, got.Reason, tt.want)
			}
		})
	}
}

// One checkpoint gives no slope: the result says so rather than print an
// interval of 0 to 0, and the reason counts in the singular.
func TestScoreOneCheckpointClaimsNoSlope(t *testing.T) {
	res, _ := Score(synth(1, flat), DefaultCriteria())
	cr := criterion(res, CritGoroutines)
	if !strings.Contains(cr.Result, "too few checkpoints for a slope") ||
		!strings.Contains(cr.Reason, "only 1 checkpoint,") {
		t.Errorf("goroutines result %q, reason %q", cr.Result, cr.Reason)
	}
}

func TestScoreMissingMetricIsAnError(t *testing.T) {
	run := synth(10, func(int) float64 { return 100 })
	for i := range run.Checkpoints {
		delete(run.Checkpoints[i].Metrics, "logcap_lines_total")
	}
	res, err := Score(run, DefaultCriteria())
	if !errors.Is(err, ErrMissingMetric) {
		t.Fatalf("err = %v, want ErrMissingMetric", err)
	}
	if !strings.Contains(err.Error(), "logcap_lines_total") {
		t.Errorf("err = %v, want it to name logcap_lines_total", err)
	}
	if res.Verdict == Pass {
		t.Errorf("verdict = PASS with a missing metric")
	}
}

// Two label sets of go_goroutines (two instances behind one target, say):
// the criterion holds only if both hold, and the worst is reported.
func TestScoreGoroutinesPerLabelSet(t *testing.T) {
	run := synth(31, flat)
	for i := range run.Checkpoints {
		run.Checkpoints[i].Metrics["go_goroutines"] = []Sample{
			{Labels: map[string]string{"instance": "a"}, Value: 100},
			{Labels: map[string]string{"instance": "b"}, Value: float64(100 + 5*i)},
		}
	}
	res, err := Score(run, DefaultCriteria())
	if err != nil {
		t.Fatal(err)
	}
	cr := criterion(res, CritGoroutines)
	if cr.Verdict != Fail || !strings.Contains(cr.Reason, `instance="b"`) {
		t.Errorf("goroutines = %s (%s), want FAIL naming instance b", cr.Verdict, cr.Reason)
	}
	if g := res.Growth.Goroutines; g.Series != `instance="b"` || g.PerMinute != 5 {
		t.Errorf("growth %+v, want instance b at 5/min", *g)
	}
}
