package reports

import (
	"fmt"
	"math"
	"time"

	"github.com/logcap/logcap/analyze"
)

// start is the fixed start time of every fixture run, so golden files do
// not change from one day to the next.
var start = time.Date(2026, 12, 4, 15, 30, 12, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// series is the figures of a fixture run, one entry per checkpoint.
type series struct {
	goroutines, fds []float64
	warmup          time.Duration
	interval        time.Duration
}

// fixtureRun builds a run whose checkpoints follow s.
func fixtureRun(id string, s series) analyze.Run {
	info := analyze.RunInfo{
		RunID: id, StartedAt: start, EndedAt: start.Add(s.warmup +
			time.Duration(len(s.goroutines)-1)*s.interval + 30*time.Second),
		Command: []string{"logcap", "soak", "--containers", "55", "--duration", "60m",
			"--label", "team=logs & infra"},
		Flags: map[string]string{
			"containers": "55", "duration": "60m", "interval": s.interval.String(),
			"warmup": s.warmup.String(), "label": "team=logs & infra",
		},
		Version: "v0.3.0", Commit: "a72888b0c1d2", GoVersion: "go1.26.8",
		EngineVersion: "20.10.24", Host: "ci-runner-7", Target: "http://127.0.0.1:8001/metrics",
		Builtin: true, Containers: 55, MaxStreams: 50, RotateEvery: 5 * time.Minute,
		Warmup: s.warmup, Interval: s.interval, Duration: 60 * time.Minute,
	}
	run := analyze.Run{Dir: "runs/" + id, Info: info}
	for i := range s.goroutines {
		cp := analyze.Checkpoint{
			Index: i, Time: checkpointTime(s, i), Elapsed: elapsed(s, i),
			Profile: fmt.Sprintf("pprof/%03d.pb.gz", i),
		}
		if i == 0 || i == len(s.goroutines)-1 {
			cp.Dump = fmt.Sprintf("pprof/%03d.txt", i)
		}
		run.Checkpoints = append(run.Checkpoints, cp)
	}
	return run
}

func elapsed(s series, i int) float64 {
	return (s.warmup + time.Duration(i)*s.interval).Seconds()
}

func checkpointTime(s series, i int) time.Time {
	return start.Add(time.Duration(elapsed(s, i) * float64(time.Second)))
}

// fixtureTimeline builds the timeline rows of s, with healthy checkpoints,
// 50 active streams, and lines and rotations rising.
func fixtureTimeline(s series) []analyze.TimelineRow {
	var rows []analyze.TimelineRow
	for i, g := range s.goroutines {
		rows = append(rows, analyze.TimelineRow{
			Index: i, Time: checkpointTime(s, i), Elapsed: elapsed(s, i),
			Minutes:    (time.Duration(i) * s.interval).Minutes(),
			Goroutines: ptr(g), FDs: ptr(s.fds[i]), MaxFDs: ptr(1048576.0),
			RSS:           ptr(22e6 + float64(i)*1e5),
			ActiveStreams: ptr(50.0), PoolCapacity: ptr(50.0),
			Rotations: ptr(float64(i * 50)), Lines: ptr(float64(i) * 165000),
			Healthy: ptr(true),
		})
	}
	return rows
}

// defaultCriteria are the five criteria scored as the fixture says.
func fixtureCriteria(gor, fds string, v [5]analyze.Verdict) []analyze.CriterionResult {
	return []analyze.CriterionResult{
		{Name: analyze.CritGoroutines, Metric: "go_goroutines", Target: "below 2/min",
			Result: gor, Verdict: v[0], First: 58, Last: 61},
		{Name: analyze.CritPool, Metric: "logcap_streams_active,logcap_stream_pool_capacity",
			Target: "active = min(55, 50) = 50", Result: "50 at every checkpoint", Verdict: v[1]},
		{Name: analyze.CritFDs, Metric: "process_open_fds", Target: "below +100 over the run",
			Result: fds, Verdict: v[2]},
		{Name: analyze.CritHealth, Metric: "logcap_component_healthy",
			Target: "healthy at every checkpoint", Result: "healthy", Verdict: v[3]},
		{Name: analyze.CritRotations, Metric: "logcap_rotations_total",
			Target: "> 0 and increasing", Result: "0 → 600", Verdict: v[4]},
	}
}

func liveness(v analyze.Verdict, reason string) analyze.CriterionResult {
	return analyze.CriterionResult{
		Name: analyze.CritLiveness, Metric: "logcap_lines_total,logcap_rotations_total",
		Target: "rising between checkpoints", Result: "rose at every checkpoint",
		Verdict: v, Reason: reason,
	}
}

var fiveMinutes = 5 * time.Minute

// passFixture is a clean hour: goroutines 58 to 61, flat at the end.
func passFixture() (analyze.Run, analyze.Result) {
	s := series{
		goroutines: []float64{58, 59, 58, 60, 61, 60, 61, 61, 61, 61, 61, 61, 61},
		fds:        []float64{31, 31, 32, 33, 33, 32, 33, 33, 33, 33, 33, 33, 33},
		warmup:     2 * time.Minute, interval: fiveMinutes,
	}
	run := fixtureRun("r20261204-153012-ab12", s)
	run.Info.Completeness = &analyze.Completeness{Containers: []analyze.ContainerLines{
		{Name: "logcap-r20261204-153012-ab12-001", Emitted: 36000, Captured: 36000,
			FinalSeen: true},
	}}
	p := analyze.Pass
	res := analyze.Result{
		Verdict:  analyze.Pass,
		Reasons:  []string{"All five criteria hold; lines and rotations kept rising."},
		Criteria: fixtureCriteria("0.05/min", "+2", [5]analyze.Verdict{p, p, p, p, p}),
		Liveness: liveness(p, ""),
		Completeness: &analyze.CompletenessResult{Verdict: p, Containers: 55,
			Emitted: 1980000, Captured: 1980000},
		BaseProfile: "pprof/000.pb.gz", FinalProfile: "pprof/012.pb.gz",
		Dump:     "pprof/012.txt",
		Duration: 60 * time.Minute, Checkpoints: len(s.goroutines),
		Timeline: fixtureTimeline(s),
		Growth: analyze.Growth{
			Goroutines: &analyze.SeriesGrowth{Metric: "go_goroutines", Baseline: 58,
				Final: 61, Min: 58, Max: 61, Delta: 3, PerMinute: 0.05, Slope: 0.045,
				SlopeLow: 0.02, SlopeHigh: 0.07, LastThird: 0, Noise: 0.5, Trend: "plateau"},
			FDs: &analyze.SeriesGrowth{Metric: "process_open_fds", Baseline: 31, Final: 33,
				Min: 31, Max: 33, Delta: 2, PerMinute: 0.033, Slope: 0.02, SlopeLow: 0,
				SlopeHigh: 0.04, LastThird: 0, Noise: 0.3, Trend: "flat"},
		},
		Phases: []analyze.Phase{
			{Kind: analyze.PhaseStable, StartIndex: 0, EndIndex: 12, Start: 120, End: 3720,
				Rate: 0.05, From: 58, To: 61},
		},
		PerStream: analyze.PerStream{Streams: 50, Rotations: 600, LeakedGoroutines: 3,
			NewFDs: 2, PerStream: ptr(0.06), PerRotation: ptr(0.005), PerNewFD: ptr(1.5)},
		Projections: analyze.Projections{GoroutinesPerHour: 2.7, GoroutinesPerDay: 64.8,
			GoroutinesPerWeek: 453.6, FDsPerHour: 1.2, FDsPerDay: 28.8, FDsPerWeek: 201.6,
			MaxFDs: 1048576, TimeToMaxFDs: ptr(time.Duration(36408 * float64(24*time.Hour)))},
		Settings: analyze.DefaultCriteria(),
	}
	return run, res
}

// failFixture is a steady leak of one goroutine and one fd per rotation.
func failFixture() (analyze.Run, analyze.Result) {
	s := series{warmup: 2 * time.Minute, interval: fiveMinutes}
	for i := range 13 {
		s.goroutines = append(s.goroutines, 60+float64(i)*50)
		s.fds = append(s.fds, 30+float64(i)*10)
	}
	run := fixtureRun("r20261204-161500-cd34", s)
	run.Info.CapturerBinary = "/opt/logcap/bin/logcap-rc1"
	run.Info.CapturerSHA256 = "9f2c0e7d41b3"
	f, p := analyze.Fail, analyze.Pass
	tl := fixtureTimeline(s)
	tl[9].Healthy = ptr(false)
	tl[9].Unhealthy = []string{`component="sink"`}
	leak := analyze.StackGrowth{
		Function: "github.com/logcap/logcap/capturer.(*follower).copyLines.func1",
		Location: "capturer/follower.go:142",
		Stack: []analyze.Frame{
			{Function: "internal/poll.runtime_pollWait", File: "runtime/netpoll.go", Line: 351},
			{Function: "net.(*conn).Read", File: "net/net.go", Line: 194},
			{Function: "github.com/logcap/logcap/capturer.(*follower).copyLines.func1",
				File: "/src/capturer/follower.go", Line: 142},
		},
		Base: 2, Final: 602, Delta: 600,
		Counts:      []int64{2, 52, 102, 152, 202, 252, 302, 352, 402, 452, 502, 552, 602},
		Checkpoints: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
	}
	timer := analyze.StackGrowth{
		Function: "time.Sleep", Location: "capturer/backoff.go:37",
		Stack: []analyze.Frame{{Function: "time.Sleep", File: "runtime/time.go", Line: 300},
			{Function: "github.com/logcap/logcap/capturer.backoff|retry<x>",
				File: "/src/capturer/backoff.go", Line: 37}},
		Base: 0, Final: 3, Delta: 3,
	}
	res := analyze.Result{
		Verdict: analyze.Fail,
		Reasons: []string{
			"Goroutine growth per minute is 10, above the criterion of 2.",
			"Open file descriptors grew by 120, above the criterion of 100.",
			"The sink was unhealthy at checkpoint 9.",
		},
		Criteria: fixtureCriteria("10/min", "+120", [5]analyze.Verdict{f, p, f, f, p}),
		Liveness: liveness(p, ""),
		Duration: 60 * time.Minute, Checkpoints: 13,
		Timeline: tl,
		Growth: analyze.Growth{
			Goroutines: &analyze.SeriesGrowth{Metric: "go_goroutines", Baseline: 60,
				Series: `instance="capturer"`,
				Final:  660, Min: 60, Max: 660, Delta: 600, PerMinute: 10, Slope: 10,
				SlopeLow: 9.8, SlopeHigh: 10.2, LastThird: 10, Noise: 0, Trend: "growing"},
			FDs: &analyze.SeriesGrowth{Metric: "process_open_fds", Baseline: 30, Final: 150,
				Min: 30, Max: 150, Delta: 120, PerMinute: 2, Slope: 2, SlopeLow: 2,
				SlopeHigh: 2, LastThird: 2, Trend: "growing"},
		},
		Phases: []analyze.Phase{
			{Kind: analyze.PhaseGrowth, StartIndex: 0, EndIndex: 12, Start: 120, End: 3720,
				Rate: 10, From: 60, To: 660},
		},
		Stacks:       []analyze.StackGrowth{leak, timer},
		BaseProfile:  "pprof/000.pb.gz",
		FinalProfile: "pprof/012.pb.gz",
		Dump:         "pprof/012.txt",
		Blocked: []analyze.BlockedGroup{{WaitReason: "IO wait", Function: leak.Function,
			Location: leak.Location, Count: 540, Baseline: 2, MaxMinutes: 55, Stack: leak.Stack}},
		PerStream: analyze.PerStream{Streams: 50, Rotations: 600, LeakedGoroutines: 600,
			NewFDs: 120, PerStream: ptr(12.0), PerRotation: ptr(1.0), PerNewFD: ptr(5.0)},
		Projections: analyze.Projections{GoroutinesPerHour: 600, GoroutinesPerDay: 14400,
			GoroutinesPerWeek: 100800, FDsPerHour: 120, FDsPerDay: 2880, FDsPerWeek: 20160,
			MaxFDs: 1024, TimeToMaxFDs: ptr(7*time.Hour + 17*time.Minute),
			MemoryPerHour: 6e6, MemoryLimit: 512 << 20,
			TimeToMemoryLimit: ptr(85 * time.Hour)},
		Notes:    []string{"Checkpoint 4: profile fetch timed out after 10s; counted from the next."},
		Settings: analyze.DefaultCriteria(),
	}
	return run, res
}

// inconclusiveFixture is a run interrupted after four noisy checkpoints,
// with a restart and lost lines.
func inconclusiveFixture() (analyze.Run, analyze.Result) {
	s := series{
		goroutines: []float64{58, 75, 61, 66},
		fds:        []float64{31, 35, 32, 33},
		warmup:     time.Minute, interval: time.Minute,
	}
	run := fixtureRun("r20261204-170000-ef56", s)
	run.Info.Incomplete = true
	run.Info.Completeness = &analyze.Completeness{}
	var worst []analyze.ContainerLines
	for i := range 25 {
		c := analyze.ContainerLines{Name: fmt.Sprintf("logcap-r20261204-170000-ef56-%03d", i+1),
			Emitted: 1200, Captured: 1200 - int64(25-i), Lost: int64(25 - i), FinalSeen: i%2 == 0}
		run.Info.Completeness.Containers = append(run.Info.Completeness.Containers, c)
		if i < 20 {
			worst = append(worst, c)
		}
	}
	worst[0].Repeated = 3
	tl := fixtureTimeline(s)
	tl[3].Errors = []string{"profile: Get \"http://127.0.0.1:8001/debug/pprof/goroutine\": EOF"}
	in, p := analyze.Inconclusive, analyze.Pass
	res := analyze.Result{
		Verdict: analyze.Inconclusive,
		Reasons: []string{
			"goroutines: too short: only 1.0 min from baseline to final, 5m0s needed",
			"the target restarted 1 time(s) during the run",
		},
		Criteria: fixtureCriteria("2.67/min (noisy)", "+2", [5]analyze.Verdict{in, p, p, p,
			analyze.Skipped}),
		Liveness: liveness(in, "only 4 checkpoints"),
		Completeness: &analyze.CompletenessResult{Verdict: in, Containers: 55,
			Emitted: 66000, Captured: 65672, Lost: 325, Repeated: 3, NoFinal: 12, Worst: worst},
		Duration: 3 * time.Minute, Checkpoints: 4,
		Timeline: tl,
		Growth: analyze.Growth{
			Goroutines: &analyze.SeriesGrowth{Metric: "go_goroutines", Baseline: 61,
				Final: 66, Min: 61, Max: 66, Delta: 5, PerMinute: 5, Slope: 5,
				SlopeLow: math.NaN(), SlopeHigh: math.NaN(), LastThird: math.NaN(),
				Noise: math.NaN(), Trend: "unclear"},
		},
		PerStream: analyze.PerStream{Streams: 50, Rotations: 50, LeakedGoroutines: 5,
			NewFDs: 1, PerStream: ptr(0.1), PerRotation: ptr(0.1), PerNewFD: ptr(5.0)},
		Restarts: []analyze.Restart{{Index: 2, Elapsed: 180,
			Before: start.Add(-time.Second), After: start.Add(170 * time.Second)}},
		Incomplete: true,
		Settings:   analyze.DefaultCriteria(),
	}
	res.Settings.Disabled = []string{analyze.CritRotations}
	return run, res
}
