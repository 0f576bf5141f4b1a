package loadtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/logcap/logcap/analyze"
)

// fakeTarget serves scripted capturer metrics that change with every
// scrape of /metrics, and the test process's real goroutine profiles.
type fakeTarget struct {
	mu      sync.Mutex
	scrapes int // /metrics requests served, the readiness probe included
	start   float64
	lines   float64
	rotates float64
	gor     float64
	// omit names a metric never served; deadAfterProbe serves the
	// readiness probe only.
	omit string
	// restartAt is the scrape at which the target comes back restarted:
	// a new start time, counters from 0, fewer goroutines.
	restartAt int
	// after runs after scrape n is served, outside the lock.
	after func(n int)
}

// deadAfterProbe, as fakeTarget.omit, fails every scrape after the first.
const deadAfterProbe = "dead after probe"

func (f *fakeTarget) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	f.scrapes++
	n := f.scrapes
	if n == f.restartAt {
		f.start += 120
		f.lines, f.rotates, f.gor = 0, 0, 30
	}
	f.lines += 100
	f.rotates += 2
	text := f.text()
	f.mu.Unlock()
	if n > 1 && f.omit == deadAfterProbe {
		http.Error(w, "gone", http.StatusServiceUnavailable)
		return
	}

	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(text))
	if f.after != nil {
		f.after(n)
	}
}

func (f *fakeTarget) text() string {
	var b strings.Builder
	add := func(name, typ, labels string, v float64) {
		if name == f.omit {
			return
		}
		fmt.Fprintf(&b, "# TYPE %s %s\n%s%s %g\n", name, typ, name, labels, v)
	}
	add("go_goroutines", "gauge", "", f.gor)
	add("process_open_fds", "gauge", "", 20)
	add("process_max_fds", "gauge", "", 1024)
	add("process_resident_memory_bytes", "gauge", "", 20<<20)
	add("process_start_time_seconds", "gauge", "", f.start)
	add("logcap_streams_active", "gauge", "", 10)
	add("logcap_stream_pool_capacity", "gauge", "", 50)
	add("logcap_containers_followed", "gauge", "", 10)
	add("logcap_rotations_total", "counter", "", f.rotates)
	add("logcap_lines_total", "counter", "", f.lines)
	if f.omit != "logcap_component_healthy" {
		b.WriteString("# TYPE logcap_component_healthy gauge\n")
		for _, c := range []string{"discovery", "pool", "sink"} {
			fmt.Fprintf(&b, "logcap_component_healthy{component=%q} 1\n", c)
		}
	}
	return b.String()
}

// serve starts the fake target on a loopback httptest server.
func (f *fakeTarget) serve(t *testing.T) *httptest.Server {
	t.Helper()
	if f.start == 0 {
		f.start = float64(time.Now().Unix() - 60)
	}
	if f.gor == 0 {
		f.gor = 50
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", f.serveMetrics)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// fastCriteria lets a run of a second or two be scored.
func fastCriteria() analyze.Criteria {
	c := analyze.DefaultCriteria()
	c.MinDuration = 0
	c.MinCheckpoints = 3
	return c
}

func targetOptions(t *testing.T, target string) SoakOptions {
	t.Helper()
	return SoakOptions{
		Dir:      filepath.Join(t.TempDir(), "run"),
		RunID:    "rtest-soak",
		Target:   target,
		Warmup:   200 * time.Millisecond,
		Interval: 200 * time.Millisecond,
		Duration: 1400 * time.Millisecond,
		Criteria: fastCriteria(),
		Info:     analyze.RunInfo{Version: "test", Commit: "abc"},
	}
}

func readRun(t *testing.T, dir string) analyze.Run {
	t.Helper()
	run, err := analyze.ReadRun(dir)
	require.NoError(t, err)
	return run
}

func requireFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		_, err := os.Stat(filepath.Join(dir, n))
		require.NoError(t, err, "run directory holds %s", n)
	}
}

func TestSoakTargetPass(t *testing.T) {
	f := &fakeTarget{}
	srv := f.serve(t)
	opts := targetOptions(t, srv.URL)

	out, err := Soak(context.Background(), opts)
	require.NoError(t, err)
	require.Equal(t, analyze.Pass, out.Result.Verdict, "reasons: %v", out.Result.Reasons)
	require.Equal(t, filepath.Join(opts.Dir, "report.md"), out.Report)

	run := readRun(t, opts.Dir)
	n := len(run.Checkpoints)
	require.GreaterOrEqual(t, n, 4, "a checkpoint every 200ms from 200ms to 1.4s")
	requireFiles(t, opts.Dir, "run.json", "checkpoints.jsonl", "report.md", "summary.json",
		"pprof/000.pb.gz", "pprof/000.txt", fmt.Sprintf("pprof/%03d.txt", n-1))
	for i, cp := range run.Checkpoints {
		require.Equal(t, i, cp.Index)
		require.NotEmpty(t, cp.Profile, "checkpoint %d has a profile", i)
		require.Equal(t, i == 0 || i == n-1, cp.Dump != "", "dump at baseline and final only")
		require.Empty(t, cp.Errors)
	}
	require.Equal(t, "rtest-soak", run.Info.RunID)
	require.Equal(t, "test", run.Info.Version)
	require.False(t, run.Info.Builtin)
	require.False(t, run.Info.Incomplete)
	require.Nil(t, run.Info.Completeness, "no completeness for an external sink")
	require.False(t, run.Info.EndedAt.IsZero())
}

func TestSoakTargetMissingMetric(t *testing.T) {
	f := &fakeTarget{omit: "go_goroutines"}
	srv := f.serve(t)
	opts := targetOptions(t, srv.URL)

	out, err := Soak(context.Background(), opts)
	require.ErrorIs(t, err, analyze.ErrMissingMetric)
	require.ErrorContains(t, err, "go_goroutines")
	require.NotEqual(t, analyze.Pass, out.Result.Verdict)
	require.NotEmpty(t, out.Report, "report written")

	run := readRun(t, opts.Dir)
	require.NotEmpty(t, run.Checkpoints)
	for _, cp := range run.Checkpoints {
		require.Len(t, cp.Errors, 1)
		require.Contains(t, cp.Errors[0], "go_goroutines")
	}
}

func TestSoakTargetRestarts(t *testing.T) {
	f := &fakeTarget{restartAt: 5}
	srv := f.serve(t)
	opts := targetOptions(t, srv.URL)

	out, err := Soak(context.Background(), opts)
	require.NoError(t, err)
	require.Len(t, out.Result.Restarts, 1, "restart detected")
	require.Equal(t, analyze.Inconclusive, out.Result.Verdict, "reasons: %v", out.Result.Reasons)
	require.NotEmpty(t, out.Report)
}

func TestSoakTargetDies(t *testing.T) {
	f := &fakeTarget{}
	dead := make(chan struct{})
	var once sync.Once
	f.after = func(n int) {
		if n == 4 { // the probe and three checkpoints
			once.Do(func() { close(dead) })
		}
	}
	srv := f.serve(t)
	t.Cleanup(func() { once.Do(func() { close(dead) }) })
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		<-dead
		srv.Close()
	}()
	defer func() { <-closed }()
	opts := targetOptions(t, srv.URL)

	out, err := Soak(context.Background(), opts)
	require.ErrorIs(t, err, ErrTargetLost)
	require.NotEmpty(t, out.Report, "report written from what was collected")

	run := readRun(t, opts.Dir)
	require.Len(t, run.Checkpoints, 3)
	require.True(t, run.Info.Incomplete)
	require.True(t, out.Result.Incomplete)
}

func TestSoakInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fakeTarget{after: func(n int) {
		if n == 3 { // the probe and two checkpoints
			cancel()
		}
	}}
	srv := f.serve(t)
	opts := targetOptions(t, srv.URL)

	out, err := Soak(ctx, opts)
	require.ErrorIs(t, err, ErrInterrupted)
	require.NotEmpty(t, out.Report)
	require.True(t, out.Result.Incomplete)

	run := readRun(t, opts.Dir)
	require.True(t, run.Info.Incomplete)
	require.LessOrEqual(t, len(run.Checkpoints), 2)
	report, err := os.ReadFile(out.Report)
	require.NoError(t, err)
	require.Contains(t, strings.ToLower(string(report)), "interrupted")
}

func TestSoakTargetNeverAnswers(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	opts := targetOptions(t, srv.URL)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()

	out, err := Soak(ctx, opts)
	require.ErrorIs(t, err, ErrInterrupted)
	require.Less(t, time.Since(start), 5*time.Second)
	require.NotEmpty(t, out.Report, "an interrupted run is reported, checkpoints or not")
	require.Equal(t, analyze.Inconclusive, out.Result.Verdict)
}

// TestSoakEndsBeforeFirstCheckpoint interrupts a run, or loses its target,
// during the warm-up: report.md and summary.json are still written, the
// verdict INCONCLUSIVE, marked incomplete, saying why.
func TestSoakEndsBeforeFirstCheckpoint(t *testing.T) {
	tests := []struct {
		name    string
		lose    bool // the target dies instead of the run being interrupted
		wantErr error
		wantWhy string
	}{
		{"interrupted", false, ErrInterrupted, "interrupted before the first checkpoint"},
		{"target lost", true, ErrTargetLost, "stopped answering before the first checkpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := &fakeTarget{after: func(n int) {
				if n == 1 && !tt.lose { // the readiness probe
					cancel()
				}
			}}
			if tt.lose {
				f.omit = deadAfterProbe
			}
			srv := f.serve(t)
			opts := targetOptions(t, srv.URL)
			opts.Warmup = 300 * time.Millisecond

			out, err := Soak(ctx, opts)
			require.ErrorIs(t, err, tt.wantErr)
			require.NotEmpty(t, out.Report)
			requireFiles(t, opts.Dir, "report.md", "summary.json", "run.json")
			require.Equal(t, analyze.Inconclusive, out.Result.Verdict)
			require.True(t, out.Result.Incomplete)
			require.Contains(t, strings.Join(out.Result.Reasons, " "), tt.wantWhy)
			report, err := os.ReadFile(out.Report)
			require.NoError(t, err)
			require.Contains(t, string(report), "INCONCLUSIVE")
			summary, err := os.ReadFile(filepath.Join(opts.Dir, "summary.json"))
			require.NoError(t, err)
			require.Contains(t, string(summary), tt.wantWhy)
		})
	}
}

func TestSoakValidate(t *testing.T) {
	base := func() SoakOptions {
		return SoakOptions{
			Target: "http://127.0.0.1:1", Warmup: time.Second, Interval: time.Second,
			Duration: time.Minute, MaxStreams: 50, RotateEvery: time.Minute,
		}
	}
	tests := []struct {
		name   string
		change func(*SoakOptions)
		want   string
	}{
		{"valid", func(*SoakOptions) {}, ""},
		{"zero interval", func(o *SoakOptions) { o.Interval = 0 }, "interval"},
		{"duration not above warm-up", func(o *SoakOptions) { o.Duration = time.Second }, "duration"},
		{"negative warm-up", func(o *SoakOptions) { o.Warmup = -time.Second }, "warm-up"},
		{"no capturer", func(o *SoakOptions) { o.Target = "" }, "capturer"},
		{"bad target", func(o *SoakOptions) { o.Target = "localhost:80" }, "target url"},
		{"bad pprof", func(o *SoakOptions) { o.Pprof = "nope" }, "pprof url"},
		{"churn without containers", func(o *SoakOptions) { o.Churn = 5 }, "churn"},
		{"restart share", func(o *SoakOptions) { o.RestartShare = 2 }, "restart share"},
		{"bad run id", func(o *SoakOptions) { o.RunID = "Bad ID" }, "run id"},
		{"builtin needs streams", func(o *SoakOptions) {
			o.Target, o.Capturer, o.MaxStreams = "", "/bin/logcap", 0
		}, "max streams"},
		{"shorter than the minimum duration", func(o *SoakOptions) {
			o.Duration, o.Warmup, o.Criteria.MinDuration = 3*time.Minute, 10*time.Second,
				10*time.Minute
		}, "--duration 3m leaves 2m50s after --warmup 10s, less than --min-duration 10m: " +
			"the verdict could only be INCONCLUSIVE; lengthen --duration or lower --min-duration"},
		{"exactly the minimum duration", func(o *SoakOptions) {
			o.Criteria.MinDuration = time.Minute - time.Second
		}, ""},
		{"too few checkpoints fit", func(o *SoakOptions) {
			o.Interval, o.Criteria.MinCheckpoints = 30*time.Second, 4
		}, "fits 3 checkpoints, fewer than --min-checkpoints 4"},
		{"just enough checkpoints fit", func(o *SoakOptions) {
			o.Interval, o.Criteria.MinCheckpoints = 30*time.Second, 3
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base()
			tt.change(&o)
			err := o.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrSoakInput)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestShortDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{3 * time.Minute, "3m"},
		{170 * time.Second, "2m50s"},
		{10 * time.Second, "10s"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{1400 * time.Millisecond, "1.4s"},
		{0, "0s"},
	}
	for _, tt := range tests {
		if got := shortDuration(tt.d); got != tt.want {
			t.Errorf("shortDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestSoakBadInputWritesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	opts := SoakOptions{Dir: dir, Target: "http://127.0.0.1:1", Interval: 0,
		Duration: time.Minute}

	_, err := Soak(context.Background(), opts)
	require.ErrorIs(t, err, ErrSoakInput)
	_, statErr := os.Stat(dir)
	require.True(t, errors.Is(statErr, os.ErrNotExist), "no run directory made")
}

func TestSoakRefusesUsedDir(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "run.json"), []byte("{}"), 0o644))
	opts := targetOptions(t, "http://127.0.0.1:1")
	opts.Dir = dir

	_, err := Soak(context.Background(), opts)
	require.ErrorIs(t, err, ErrSoakInput)
	b, err := os.ReadFile(filepath.Join(dir, "run.json"))
	require.NoError(t, err)
	require.Equal(t, "{}", string(b), "earlier run untouched")
}

func TestSchedule(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	tests := []struct {
		name          string
		base, end     float64
		interval      time.Duration
		wantOffsetsSe []float64
	}{
		{"even", 120, 600, 120 * time.Second, []float64{120, 240, 360, 480, 600}},
		{"uneven end", 120, 550, 120 * time.Second, []float64{120, 240, 360, 480, 550}},
		{"last one too close to end", 120, 605, 120 * time.Second,
			[]float64{120, 240, 360, 480, 605}},
		{"half an interval left", 120, 660, 120 * time.Second,
			[]float64{120, 240, 360, 480, 600, 660}},
		{"less than half left", 120, 650, 120 * time.Second,
			[]float64{120, 240, 360, 480, 650}},
		{"baseline after end", 130, 120, time.Second, []float64{130}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := schedule(at(tt.base), at(tt.end), tt.interval)
			var secs []float64
			for _, g := range got {
				secs = append(secs, g.Sub(t0).Seconds())
			}
			require.Equal(t, tt.wantOffsetsSe, secs)
		})
	}
}

func TestCriteriaMetrics(t *testing.T) {
	got := criteriaMetrics(analyze.DefaultCriteria())
	require.Contains(t, got, "go_goroutines")
	require.Contains(t, got, "logcap_component_healthy")
	require.Contains(t, got, "process_start_time_seconds")
	require.IsIncreasing(t, got)
}

// TestRecordCapturer: run.json names the capturer binary measured and its
// sha256; the note saying so comes from the scoring, not twice.
func TestRecordCapturer(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "capturer")
	require.NoError(t, os.WriteFile(bin, []byte("not really a binary"), 0o755))

	s := &soak{opts: SoakOptions{Capturer: bin}, log: slog.New(slog.DiscardHandler)}
	s.recordCapturer()
	require.Equal(t, bin, s.info.CapturerBinary)
	sum := sha256.Sum256([]byte("not really a binary"))
	require.Equal(t, hex.EncodeToString(sum[:]), s.info.CapturerSHA256)
	require.Empty(t, s.notes)

	missing := &soak{opts: SoakOptions{Capturer: filepath.Join(dir, "gone")},
		log: slog.New(slog.DiscardHandler)}
	missing.recordCapturer()
	require.Empty(t, missing.info.CapturerSHA256)
	require.Len(t, missing.notes, 1)
}

func TestNewImages(t *testing.T) {
	tests := []struct {
		name          string
		before, after []string
		want          []string
	}{
		{"none new", []string{"a"}, []string{"a"}, nil},
		{"one built", []string{"a"}, []string{"b", "a"}, []string{"b"}},
		{"first image", nil, []string{"c", "b"}, []string{"b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, newImages(tt.before, tt.after))
		})
	}
}

// TestSoakLogEnd: the last log line names the image a run built and how
// to remove it, and says nothing of images when none was built.
func TestSoakLogEnd(t *testing.T) {
	tests := []struct {
		name  string
		built []string
		want  string
	}{
		{"image built", []string{"logcap-emitter:abc"},
			`remove_images_with="logcap spawn --cleanup --images"`},
		{"image reused", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf strings.Builder
			s := &soak{dir: "run1", log: slog.New(slog.NewTextHandler(&buf, nil)),
				load: &load{builtImages: tt.built}}
			s.logEnd(Outcome{Result: analyze.Result{Verdict: analyze.Pass}})
			line := buf.String()
			require.Contains(t, line, `msg="soak finished" dir=run1 verdict=PASS`)
			if tt.want == "" {
				require.NotContains(t, line, "images")
				return
			}
			require.Contains(t, line, tt.want)
			require.Contains(t, line, "logcap-emitter:abc")
		})
	}
}
