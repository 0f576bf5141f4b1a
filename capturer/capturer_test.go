package capturer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// running is a capturer in a goroutine with its output and its end.
type running struct {
	c      *Capturer
	out    *flakyWriter
	cancel context.CancelFunc
	done   chan error
}

func startCapturer(t *testing.T, cfg Config) *running {
	t.Helper()
	out := &flakyWriter{}
	cfg.Output = out
	cfg.Listen = "127.0.0.1:0"
	cfg.FlushInterval = time.Millisecond
	cfg.BackoffBase, cfg.BackoffMax = time.Millisecond, 5*time.Millisecond
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{c: c, out: out, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- c.Run(ctx) }()
	return r
}

func (r *running) stop(t *testing.T) []sinkLine {
	t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	return parseSink(t, r.out.String())
}

func (r *running) metric(t *testing.T, name string, labels ...string) float64 {
	return metricValue(t, r.c.deps.met, name, labels...)
}

func (r *running) discoveryHealth(t *testing.T) float64 {
	return r.metric(t, "logcap_component_healthy", "component", componentDiscovery)
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// TestCapturerRun runs the whole capturer on a fake engine: discovery by
// list and events and a label filter, an events outage with reconciling,
// a removal, the HTTP endpoints, and shutdown with no goroutine left.
func TestCapturerRun(t *testing.T) {
	before := runtime.NumGoroutine()
	eng := newFakeEngine()
	mine := map[string]string{"logcap.run": "t1"}
	eng.add("a", "app-a", mine, false)
	eng.add("x", "other", map[string]string{"logcap.run": "t2"}, false)
	eng.write("a", streamStdout, "a seq=1\n")
	eng.write("x", streamStdout, "x seq=1\n")
	r := startCapturer(t, Config{
		Engine: eng, Filter: Filter{Labels: mine}, RotateEvery: 10 * time.Millisecond,
	})

	waitFor(t, func() bool { return r.metric(t, "logcap_lines_total") == 1 })
	eng.add("b", "app-b", mine, false)
	eng.write("b", streamStdout, "b seq=1\n")
	waitFor(t, func() bool { return r.metric(t, "logcap_lines_total") == 2 })

	eng.breakEvents(errors.New("daemon restarted"))
	eng.add("c", "app-c", mine, false) // started while discovery is down
	eng.write("c", streamStdout, "c seq=1\n")
	waitFor(t, func() bool { return r.metric(t, "logcap_lines_total") == 3 })

	eng.remove("b")
	waitFor(t, func() bool { return r.metric(t, "logcap_containers_followed") == 2 })
	waitFor(t, func() bool { return len(r.c.known()) == 2 })

	code, body := httpGet(t, "http://"+r.c.Addr()+"/healthz")
	if code != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("/healthz = %d %s, want 200 ok", code, body)
	}
	code, body = httpGet(t, "http://"+r.c.Addr()+"/metrics")
	if code != http.StatusOK || !strings.Contains(body, "logcap_rotations_total") {
		t.Errorf("/metrics = %d, want 200 with logcap_rotations_total", code)
	}
	code, body = httpGet(t, "http://"+r.c.Addr()+"/debug/pprof/goroutine?debug=1")
	if code != http.StatusOK || !strings.Contains(body, "goroutine profile") {
		t.Errorf("/debug/pprof/goroutine = %d, want 200 with a profile", code)
	}

	lines := r.stop(t)
	for _, name := range []string{"a", "b", "c"} {
		wantSeq(t, lines, name+" seq=", 1)
	}
	wantSeq(t, lines, "x seq=", 0)
	waitFor(t, func() bool { return runtime.NumGoroutine() <= before })
}

// TestCapturerWaitingContainers runs more containers than slots: all are
// captured, and the waiting gauge shows the queue.
func TestCapturerWaitingContainers(t *testing.T) {
	eng := newFakeEngine()
	const n = 5
	for i := range n {
		eng.add(fmt.Sprint(i), fmt.Sprintf("w-%d", i), nil, false)
	}
	r := startCapturer(t, Config{Engine: eng, MaxStreams: 2, RotateEvery: 20 * time.Millisecond})
	waitFor(t, func() bool { return r.metric(t, "logcap_streams_waiting") == n-2 })
	for round := 1; round <= 3; round++ {
		for i := range n {
			eng.write(fmt.Sprint(i), streamStdout, fmt.Sprintf("w-%d seq=%d\n", i, round))
		}
	}
	waitFor(t, func() bool { return r.metric(t, "logcap_lines_total") == 3*n })
	// Slots change hands at each rotation without a gap: a scrape at any
	// moment sees the pool full, never a stream caught in its reopen.
	for range 50 {
		if got := r.metric(t, "logcap_streams_active"); got != 2 {
			t.Fatalf("streams active = %v during rotations, want 2", got)
		}
		time.Sleep(2 * time.Millisecond)
	}
	lines := r.stop(t)
	for i := range n {
		wantSeq(t, lines, fmt.Sprintf("w-%d seq=", i), 3)
	}
}

// TestCapturerUnhealthyDiscovery breaks the engine: /healthz answers 503
// with discovery unhealthy, and recovers when the engine does.
func TestCapturerUnhealthyDiscovery(t *testing.T) {
	eng := newFakeEngine()
	r := startCapturer(t, Config{Engine: eng})
	waitFor(t, func() bool { return r.discoveryHealth(t) == 1 })

	eng.mu.Lock()
	eng.listErr = errors.New("cannot connect to the Docker daemon")
	eng.mu.Unlock()
	eng.breakEvents(errors.New("EOF"))
	waitFor(t, func() bool { return r.discoveryHealth(t) == 0 })
	code, body := httpGet(t, "http://"+r.c.Addr()+"/healthz")
	var hz healthzBody
	if err := json.Unmarshal([]byte(body), &hz); err != nil {
		t.Fatalf("/healthz is not JSON: %v", err)
	}
	down := hz.Status == "unhealthy" && !hz.Components[componentDiscovery].Healthy
	if code != http.StatusServiceUnavailable || !down {
		t.Errorf("/healthz = %d %s, want 503 with discovery unhealthy", code, body)
	}

	eng.mu.Lock()
	eng.listErr = nil
	eng.mu.Unlock()
	waitFor(t, func() bool { return r.discoveryHealth(t) == 1 })
	r.stop(t)
}

func TestNewRejectsBusyPort(t *testing.T) {
	eng := newFakeEngine()
	a, err := New(Config{Engine: eng, Output: io.Discard, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.ln.Close()
	if _, err := New(Config{Engine: eng, Output: io.Discard, Listen: a.Addr()}); err == nil {
		t.Error("New on a busy port returned nil, want an error")
	}
}
