package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/logcap/logcap/analyze"
	"github.com/logcap/logcap/loadtest"
)

// target is a scripted service for soak: counters rise at every scrape;
// behave may change the figures of scrape n or act after it.
type target struct {
	mu     sync.Mutex
	n      int
	start  float64
	gor    float64
	lines  float64
	behave func(t *target, n int) // under mu, before the answer
}

func (tg *target) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	tg.mu.Lock()
	tg.n++
	tg.lines += 10
	if tg.behave != nil {
		tg.behave(tg, tg.n)
	}
	var b strings.Builder
	for _, m := range []struct {
		name string
		v    float64
	}{
		{"go_goroutines", tg.gor}, {"process_open_fds", 9}, {"process_max_fds", 1024},
		{"process_start_time_seconds", tg.start}, {"logcap_streams_active", 3},
		{"logcap_stream_pool_capacity", 50}, {"logcap_containers_followed", 3},
		{"logcap_rotations_total", tg.lines}, {"logcap_lines_total", tg.lines},
		{"logcap_component_healthy", 1},
	} {
		fmt.Fprintf(&b, "%s %g\n", m.name, m.v)
	}
	tg.mu.Unlock()
	_, _ = w.Write([]byte(b.String()))
}

func serveTarget(t *testing.T, tg *target) *httptest.Server {
	t.Helper()
	tg.start, tg.gor = float64(time.Now().Unix()-100), 20
	mux := http.NewServeMux()
	mux.Handle("/metrics", tg)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// runSoakCmd runs `logcap soak args...` with ctx and returns stdout, the
// error and the exit code execute would use.
func runSoakCmd(ctx context.Context, t *testing.T, args ...string) (string, error, int) {
	t.Helper()
	var out, errw bytes.Buffer
	root := newRootCmd()
	root.SetArgs(append([]string{"soak"}, args...))
	root.SetOut(&out)
	root.SetErr(&errw)
	err := root.ExecuteContext(ctx)
	code := exitOK
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	} else if err != nil {
		code = exitFailed
	}
	t.Logf("stderr:\n%s", errw.String())
	return out.String(), err, code
}

// fastArgs make a soak of about a second score like a long one.
func fastArgs(dir, url string) []string {
	return []string{"--target", url, "--out", dir, "--warmup", "200ms",
		"--interval", "200ms", "--duration", "1400ms", "--min-duration", "0",
		"--log-level", "warn"}
}

// TestSoakCommandOutcomes runs the command against scripted targets and
// checks each outcome's exit code, stdout and run directory.
func TestSoakCommandOutcomes(t *testing.T) {
	defer goleak.VerifyNone(t)
	tests := []struct {
		name       string
		behave     func(tg *target, n int)
		extra      []string
		cancelAt   int // cancel the context after this scrape
		closeAt    int // close the server after this scrape
		wantCode   int
		wantOut    string // verdict printed before the report path; * ends a prefix
		wantErr    string
		incomplete bool
	}{
		{name: "pass", wantCode: exitOK, wantOut: "PASS"},
		{
			name:     "goroutines grow",
			behave:   func(tg *target, _ int) { tg.gor += 5 },
			wantCode: exitFailed, wantOut: "FAIL",
		},
		{
			name: "target restarts",
			behave: func(tg *target, n int) {
				if n == 4 {
					tg.start += 300
					tg.lines, tg.gor = 10, 12
				}
			},
			wantCode: exitInconclusive, wantOut: "INCONCLUSIVE",
		},
		{
			name:     "metric name wrong",
			extra:    []string{"--metric-goroutines", "go_goroutinez"},
			wantCode: exitHarness, wantOut: "INCONCLUSIVE", wantErr: "go_goroutinez",
		},
		{
			name: "target dies", closeAt: 4,
			wantCode: exitHarness, wantOut: "TARGET LOST (*", // the verdict so far varies
			wantErr: "target stopped answering", incomplete: true,
		},
		{
			name: "interrupted in the warm-up", cancelAt: 1, // the readiness probe
			wantCode: exitInterrupted, wantOut: "INTERRUPTED (INCONCLUSIVE so far)",
			wantErr: "interrupted", incomplete: true,
		},
		{
			name: "interrupted", cancelAt: 3,
			wantCode: exitInterrupted, wantOut: "INTERRUPTED (INCONCLUSIVE so far)",
			wantErr: "interrupted", incomplete: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			dying := make(chan struct{})
			var once sync.Once
			tg := &target{behave: func(tg *target, n int) {
				if tt.behave != nil {
					tt.behave(tg, n)
				}
				if n == tt.cancelAt {
					cancel()
				}
				if n == tt.closeAt {
					once.Do(func() { close(dying) })
				}
			}}
			srv := serveTarget(t, tg)
			stopped := make(chan struct{})
			go func() {
				defer close(stopped)
				select {
				case <-dying:
					srv.Close()
				case <-ctx.Done():
				}
			}()
			dir := filepath.Join(t.TempDir(), "run")

			out, err, code := runSoakCmd(ctx, t, append(fastArgs(dir, srv.URL), tt.extra...)...)
			cancel()
			<-stopped

			if code != tt.wantCode {
				t.Fatalf("exit code %d (%v), want %d", code, err, tt.wantCode)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want it to name %q", err, tt.wantErr)
			}
			report := filepath.Join(dir, "report.md")
			if tt.wantOut != "" && !stdoutMatches(out, tt.wantOut, report) {
				t.Errorf("stdout %q, want %q", out, tt.wantOut+" "+report+"\n")
			}
			if _, err := os.Stat(report); err != nil {
				t.Errorf("report not written: %v", err)
			}
			b, err := os.ReadFile(filepath.Join(dir, analyze.RunInfoFile))
			if err != nil {
				t.Fatalf("read run info: %v", err)
			}
			var info analyze.RunInfo
			if err := json.Unmarshal(b, &info); err != nil {
				t.Fatalf("run info: %v", err)
			}
			if info.Incomplete != tt.incomplete {
				t.Errorf("incomplete = %v, want %v", info.Incomplete, tt.incomplete)
			}
		})
	}
}

// stdoutMatches checks the soak's stdout is the verdict want and report;
// a want ending in * matches any verdict it begins.
func stdoutMatches(out, want, report string) bool {
	if prefix, ok := strings.CutSuffix(want, "*"); ok {
		return strings.HasPrefix(out, prefix) && strings.HasSuffix(out, " "+report+"\n")
	}
	return out == want+" "+report+"\n"
}

// TestSoakCommandBadInput: one error, exit 3, and nothing written.
func TestSoakCommandBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero interval", []string{"--interval", "0"}, "interval"},
		{"duration within warm-up", []string{"--duration", "1m", "--warmup", "2m"}, "duration"},
		{"shorter than --min-duration", []string{"--duration", "3m", "--warmup", "10s"},
			"--duration 3m leaves 2m50s after --warmup 10s, less than --min-duration 5m"},
		{"too few checkpoints", []string{"--duration", "10m", "--interval", "6m"},
			"fewer than --min-checkpoints 3"},
		{"bad target", []string{"--target", "127.0.0.1:8001"}, "target url"},
		{"bad pprof", []string{"--target", "http://127.0.0.1:1", "--pprof", "x"}, "pprof url"},
		{"bad churn", []string{"--churn", "lots"}, "--churn"},
		{"churn without /min", []string{"--churn", "5"}, "like 6/min"},
		{"restart share alone", []string{"--restart-share", "0.5"}, "--churn"},
		{"bad label", []string{"--label", "nolabel"}, "label"},
		{"no such capturer", []string{"--capturer", "/nonexistent/capturer"}, "capturer"},
		{"bad criterion", []string{"--disable", "speed"}, "unknown criterion"},
		{"negative containers", []string{"--containers", "-1"}, "containers"},
		{"bad run id", []string{"--run", "UPPER"}, "run id"},
		{"stray argument", []string{"now"}, "no arguments"},
		{"bad flag value", []string{"--interval", "soon"}, "invalid argument"},
		{"unknown flag", []string{"--speed", "9"}, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			_, err, code := runSoakCmd(context.Background(), t,
				append([]string{"--out", dir}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if code != exitHarness {
				t.Errorf("exit code %d, want %d", code, exitHarness)
			}
			if _, statErr := os.Stat(dir); !errors.Is(statErr, os.ErrNotExist) {
				t.Errorf("run directory written: %v", statErr)
			}
		})
	}
}

func TestSoakExit(t *testing.T) {
	res := func(v analyze.Verdict) loadtest.Outcome {
		return loadtest.Outcome{Result: analyze.Result{Verdict: v}}
	}
	tests := []struct {
		name string
		out  loadtest.Outcome
		err  error
		want int
	}{
		{"pass", res(analyze.Pass), nil, exitOK},
		{"fail", res(analyze.Fail), nil, exitFailed},
		{"inconclusive", res(analyze.Inconclusive), nil, exitInconclusive},
		{"interrupted", res(analyze.Pass), loadtest.ErrInterrupted, exitInterrupted},
		{"target lost", res(analyze.Pass), loadtest.ErrTargetLost, exitHarness},
		{"missing metric", res(analyze.Inconclusive), analyze.ErrMissingMetric, exitHarness},
		{"engine", loadtest.Outcome{}, errors.New("engine down"), exitHarness},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := soakExit(tt.out, tt.err)
			got := exitOK
			var ee *exitError
			if errors.As(err, &ee) {
				got = ee.code
			}
			if got != tt.want {
				t.Errorf("exit code %d, want %d", got, tt.want)
			}
		})
	}
}
