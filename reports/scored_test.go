package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logcap/logcap/analyze"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parkedLeak parks n goroutines until release is closed: the leak the
// report must name, with this file and the line of the receive.
func parkedLeak(n int, release <-chan struct{}, wg *sync.WaitGroup) {
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-release // the leaked goroutines wait here
		}()
	}
}

// waitParked waits until n goroutines of parkedLeak block on their
// receive, so the profile sees every one of them at the same line.
func waitParked(t *testing.T, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		var b strings.Builder
		if err := pprof.Lookup("goroutine").WriteTo(&b, 2); err != nil {
			return false
		}
		parked := 0
		for _, g := range strings.Split(b.String(), "\n\n") {
			if strings.Contains(g, "[chan receive]") && strings.Contains(g, "parkedLeak.func1") {
				parked++
			}
		}
		return parked == n
	}, 5*time.Second, 5*time.Millisecond)
}

// writeProfile saves the goroutine profile of this process (debug=0).
func writeProfile(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, pprof.Lookup("goroutine").WriteTo(f, 0))
	require.NoError(t, f.Close())
}

// leakingCheckpoint is checkpoint i of a run that leaks 5 goroutines and
// one file descriptor a minute while lines and rotations keep rising.
func leakingCheckpoint(i int) analyze.Checkpoint {
	one := func(v float64) []analyze.Sample { return []analyze.Sample{{Value: v}} }
	health := func(c string) analyze.Sample {
		return analyze.Sample{Labels: map[string]string{"component": c}, Value: 1}
	}
	el := 60 + float64(i)*60
	return analyze.Checkpoint{
		Index: i, Time: start.Add(time.Duration(el) * time.Second), Elapsed: el,
		Metrics: map[string][]analyze.Sample{
			"go_goroutines":                 one(40 + 5*float64(i)),
			"process_open_fds":              one(20 + float64(i)),
			"process_max_fds":               one(1024),
			"process_resident_memory_bytes": one(20e6 + 1e5*float64(i)),
			"process_start_time_seconds":    one(float64(start.Unix())),
			"logcap_streams_active":         one(4),
			"logcap_stream_pool_capacity":   one(50),
			"logcap_containers_followed":    one(4),
			"logcap_rotations_total":        one(4 * float64(i)),
			"logcap_lines_total":            one(1000 * float64(i)),
			"logcap_component_healthy": {health("discovery"), health("pool"),
				health("sink")},
		},
	}
}

// TestWriteScoredRun scores a run directory with analyze.Score, real
// goroutine profiles included, and checks the report names the leak.
func TestWriteScoredRun(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "pprof"), 0o755))
	info := analyze.RunInfo{RunID: "r-reports-test", StartedAt: start,
		Command: []string{"logcap", "soak", "--containers", "4"}, Builtin: true,
		Containers: 4, MaxStreams: 50, RotateEvery: time.Minute, Warmup: time.Minute,
		Interval: time.Minute, Duration: 10 * time.Minute}
	require.NoError(t, analyze.WriteRunInfo(dir, info))

	release := make(chan struct{})
	var wg sync.WaitGroup
	stop := sync.OnceFunc(func() { close(release); wg.Wait() })
	t.Cleanup(stop) // releases the parked goroutines if a check fails early
	const n = 11
	for i := range n {
		cp := leakingCheckpoint(i)
		if i == 0 || i == n-1 {
			if i == n-1 {
				parkedLeak(25, release, &wg)
				waitParked(t, 25)
			}
			cp.Profile = fmt.Sprintf("pprof/%03d.pb.gz", i)
			writeProfile(t, filepath.Join(dir, cp.Profile))
		}
		require.NoError(t, analyze.AppendCheckpoint(filepath.Join(dir, "checkpoints.jsonl"), cp))
	}
	stop()

	run, err := analyze.ReadRun(dir)
	require.NoError(t, err)
	res, err := analyze.Score(run, analyze.DefaultCriteria())
	require.NoError(t, err)
	require.NoError(t, Write(dir, run, res))

	md, err := os.ReadFile(filepath.Join(dir, ReportFile))
	require.NoError(t, err)
	report := string(md)
	assert.Contains(t, report, "## Verdict: **FAIL**")
	assert.Contains(t, report, "Goroutines rose from 40 to 90 over 10m")
	assert.Contains(t, report, "reports.parkedLeak.func1")
	assert.Contains(t, report, "go tool pprof -top -base pprof/000.pb.gz pprof/010.pb.gz")
	assert.Regexp(t, "\\| \\+25 \\| 0 \\| 25 \\| `[^`]*parkedLeak\\.func1` \\| "+
		"`[^`]*reports/scored_test.go:\\d+`", report)

	var s SummaryJSON
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &s))
	assert.Equal(t, "FAIL", s.Verdict)
	require.NotEmpty(t, s.Stacks)
	assert.True(t, strings.HasSuffix(s.Stacks[0].Function, "parkedLeak.func1"),
		"top stack %q", s.Stacks[0].Function)
	assert.EqualValues(t, 25, s.Stacks[0].Delta)

	svg, err := os.ReadFile(filepath.Join(dir, ChartFile))
	require.NoError(t, err)
	assert.Equal(t, 11, walkXML(t, svg)["circle"]/2, "a dot per checkpoint and panel")
}
