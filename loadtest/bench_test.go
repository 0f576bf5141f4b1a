package loadtest_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/logcap/logcap/internal/engine"
	"github.com/logcap/logcap/internal/engine/enginetest"
	"github.com/logcap/logcap/loadtest"
)

// The benchmarks of this file measure `logcap run` as a child process on
// the real engine, the way the soak sees it. Each iteration spawns its own
// containers, so run them once:
//
//	go test -run '^$' -bench 'CaptureVsDockerLogs|CapturerPerStream' \
//	    -benchtime 1x -timeout 30m ./loadtest
//
// LOGCAP_BENCH_STREAMS (default "50,200,500") sets the container counts of
// BenchmarkCapturerPerStream. docs/BENCHMARKS.md holds the figures.

// Metric names the benchmarks read from the capturer.
const (
	mGoroutines = "go_goroutines"
	mFDs        = "process_open_fds"
	mRSS        = "process_resident_memory_bytes"
	mActive     = "logcap_streams_active"
	mWaiting    = "logcap_streams_waiting"
	mLines      = "logcap_lines_total"
)

var benchMetrics = []string{mGoroutines, mFDs, mRSS, mActive, mWaiting, mLines}

// BenchmarkCaptureVsDockerLogs fills the logs of 1 and of 50 containers
// with numbered lines (see fillCases), freezes the emitters (SIGSTOP: the containers stay running, so the capturer follows
// them, and their logs stop growing), then reads every log three ways, in
// this order: `docker logs <id>` (the CLI, one process per container, all
// at once), ContainerLogs with timestamps (what the capturer asks for, one
// request per container, all at once), and `logcap run` from its start
// until logcap_lines_total reaches the lines in the logs. A first untimed
// read counts the lines and warms the page cache for all three.
//
// "ratio" is capture lines/s over `docker logs` lines/s.
func BenchmarkCaptureVsDockerLogs(b *testing.B) {
	for _, c := range fillCases {
		b.Run(fmt.Sprintf("containers=%d", c.containers), func(b *testing.B) {
			for b.Loop() {
				benchThroughput(b, c)
			}
		})
	}
}

// fillCase says how the logs of a throughput case are filled.
type fillCase struct {
	containers int
	rate       float64 // lines per second per emitter
	fill       time.Duration
	nanoCPUs   int64
}

// fillCases keep every log well under the 30 MB the spawned containers'
// json-file logs may hold (about 180,000 lines of 100 bytes) and the
// total under a million lines, so that each read takes seconds, not
// minutes. One emitter with a whole CPU writes about 30,000 lines/s here.
// The 50 emitters write at a set rate from their start, spawning included,
// so the first ones started hold more lines than the last.
var fillCases = []fillCase{
	{containers: 1, rate: 1e9, fill: 4 * time.Second, nanoCPUs: 1_000_000_000},
	{containers: 50, rate: 300, fill: 25 * time.Second, nanoCPUs: loadtest.DefaultNanoCPUs},
}

func benchThroughput(b *testing.B, c fillCase) {
	env := newBenchEnv(b)
	ids := env.fill(c)
	counts := countLines(b, env.cli, ids)
	total := sumInts(counts)
	b.Logf("%d lines, %d to %d per container", total, slices.Min(counts), slices.Max(counts))

	cli := timeReads(b, ids, counts, dockerCLIRead)
	api := timeReads(b, ids, counts, func(id string) (int, error) {
		return apiRead(env.cli, id)
	})
	capture := env.timeCapture(c.containers, total)

	b.ReportMetric(float64(total), "lines")
	b.ReportMetric(rate(total, cli), "docker-logs-lines/s")
	b.ReportMetric(rate(total, api), "api-t-lines/s")
	b.ReportMetric(rate(total, capture), "capture-lines/s")
	b.ReportMetric(cli.Seconds()/capture.Seconds(), "ratio")
	b.ReportMetric(api.Seconds()/capture.Seconds(), "ratio-vs-api-t")
}

// BenchmarkCapturerPerStream runs a capturer with a label filter on its
// own run, scrapes an idle baseline with no container, spawns slow
// emitters (1 line/s), waits until every one has an active stream, and
// reports goroutines, open file descriptors and resident memory per
// active stream, baseline subtracted. It also times checkpoints as the
// soak takes them (a /metrics scrape plus a debug=0 goroutine profile
// written to disk) at the baseline and under load.
//
// When the engine cannot start all containers, it measures at the count
// that started and reports it as "streams".
func BenchmarkCapturerPerStream(b *testing.B) {
	for _, n := range streamCounts(b) {
		b.Run(fmt.Sprintf("containers=%d", n), func(b *testing.B) {
			for b.Loop() {
				benchPerStream(b, n)
			}
		})
	}
}

// checkpointsPerSample is how many checkpoints are timed at each point.
const checkpointsPerSample = 5

func benchPerStream(b *testing.B, n int) {
	env := newBenchEnv(b)
	capt := env.startCapturer(n)
	capt.waitHealthy()
	time.Sleep(2 * time.Second)
	base := capt.scrape()
	idleCP := capt.timeCheckpoints(checkpointsPerSample)

	started := env.spawnSlow(n)
	capt.waitFor(mActive, float64(started), 3*time.Minute)
	time.Sleep(3 * time.Second)
	load := capt.scrape()
	loadCP := capt.timeCheckpoints(checkpointsPerSample)

	streams := load[mActive]
	per := func(name string) float64 { return (load[name] - base[name]) / streams }
	b.ReportMetric(streams, "streams")
	b.ReportMetric(per(mGoroutines), "goroutines/stream")
	b.ReportMetric(per(mFDs), "fds/stream")
	b.ReportMetric(per(mRSS), "rss-bytes/stream")
	b.ReportMetric(ms(mean(loadCP)), "ms/checkpoint")
	b.ReportMetric(ms(slices.Max(loadCP)), "ms/checkpoint-max")
	b.ReportMetric(ms(mean(idleCP)), "ms/checkpoint-idle")
	b.Logf("baseline %v; with %d containers %v", base, started, load)
}

// streamCounts reads LOGCAP_BENCH_STREAMS.
func streamCounts(b *testing.B) []int {
	s := os.Getenv("LOGCAP_BENCH_STREAMS")
	if s == "" {
		return []int{50, 200, 500}
	}
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("LOGCAP_BENCH_STREAMS=%q: want counts like 50,200", s)
		}
		out = append(out, n)
	}
	return out
}

// benchEnv is one benchmark iteration's engine, binary and run.
type benchEnv struct {
	b     *testing.B
	cli   *client.Client
	bin   string
	image string
	run   string
}

// newBenchEnv builds the binary and image and registers the removal of
// the run's containers, which also runs when the benchmark fails.
func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	cli := enginetest.Client(b)
	env := &benchEnv{
		b: b, cli: cli, bin: enginetest.LogcapBinary(b), image: enginetest.Image(b),
		run: engine.NewRunID(),
	}
	enginetest.Cleanup(b, cli, env.run)
	// Registered after, so it runs first: fast parallel forced removal,
	// with enginetest's sequential one behind it for anything left.
	b.Cleanup(env.removeAll)
	return env
}

// spawnLimit bounds the start of one benchmark's containers; what started
// by then is measured.
const spawnLimit = 5 * time.Minute

// spawn starts the emitters of opts; it keeps what started on failure.
func (e *benchEnv) spawn(opts loadtest.SpawnOptions) []loadtest.Container {
	opts.RunID, opts.BinaryPath, opts.Image = e.run, e.bin, ""
	opts.KeepOnError = true
	opts.Concurrency = 16
	ctx, cancel := context.WithTimeout(context.Background(), spawnLimit)
	defer cancel()
	started, err := loadtest.Spawn(ctx, e.cli, opts)
	if err != nil {
		e.b.Logf("spawn: %d of %d started: %v", len(started), opts.Count, err)
	}
	if len(started) == 0 {
		e.b.Fatal("no container started")
	}
	return started
}

// spawnSlow starts n emitters at 1 line per second and returns how many
// started.
func (e *benchEnv) spawnSlow(n int) int {
	t0 := time.Now()
	started := e.spawn(loadtest.SpawnOptions{Count: n, Rate: 1})
	e.b.Logf("spawned %d of %d in %v", len(started), n, time.Since(t0).Round(time.Second))
	return len(started)
}

// fill starts the emitters of c, lets them write for c.fill once all
// run, then freezes them with SIGSTOP and returns their ids.
func (e *benchEnv) fill(c fillCase) []string {
	t0 := time.Now()
	started := e.spawn(loadtest.SpawnOptions{
		Count: c.containers, Rate: c.rate, NanoCPUs: c.nanoCPUs,
	})
	e.b.Logf("spawned %d in %v", len(started), time.Since(t0).Round(time.Second))
	if len(started) != c.containers {
		e.b.Fatalf("%d of %d containers started", len(started), c.containers)
	}
	time.Sleep(c.fill)

	ids := make([]string, len(started))
	errs := make([]error, len(started))
	var wg sync.WaitGroup
	for i, ct := range started {
		ids[i] = ct.ID
		wg.Go(func() { errs[i] = e.cli.ContainerKill(context.Background(), ct.ID, "SIGSTOP") })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			e.b.Fatalf("freeze %s: %v", started[i].Name, err)
		}
	}
	// The engine copies what is still in the pipes into the logs.
	time.Sleep(2 * time.Second)
	return ids
}

// removeAll force-removes the run's containers, 16 at a time; a frozen
// emitter would only wait out a graceful stop.
func (e *benchEnv) removeAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	list, err := loadtest.List(ctx, e.cli, e.run)
	if err != nil {
		e.b.Errorf("list run %s: %v", e.run, err)
		return
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, c := range list {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			opts := container.RemoveOptions{Force: true}
			if err := e.cli.ContainerRemove(ctx, c.ID, opts); err != nil &&
				!client.IsErrNotFound(err) {
				e.b.Logf("remove %s: %v", c.Name, err)
			}
		})
	}
	wg.Wait()
}

// timeCapture runs `logcap run` on the run's n containers and returns the
// time from its start until it has captured want lines.
func (e *benchEnv) timeCapture(n, want int) time.Duration {
	t0 := time.Now()
	capt := e.startCapturer(n)
	got := capt.waitFor(mLines, float64(want), 5*time.Minute)
	elapsed := time.Since(t0)
	if got != float64(want) {
		e.b.Errorf("capturer counted %v lines, want %d", got, want)
	}
	return elapsed
}

// countLines reads every log once, untimed, and returns its line counts.
func countLines(b *testing.B, cli *client.Client, ids []string) []int {
	counts := make([]int, len(ids))
	for i, id := range ids {
		n, err := apiRead(cli, id)
		if err != nil {
			b.Fatalf("count lines of %.12s: %v", id, err)
		}
		counts[i] = n
	}
	return counts
}

// timeReads reads every log at once with read and returns the time until
// the last read ends. Each read must return the line count of counts.
func timeReads(b *testing.B, ids []string, counts []int,
	read func(id string) (int, error)) time.Duration {
	got := make([]int, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	t0 := time.Now()
	for i, id := range ids {
		wg.Go(func() { got[i], errs[i] = read(id) })
	}
	wg.Wait()
	elapsed := time.Since(t0)

	for i := range ids {
		if errs[i] != nil || got[i] != counts[i] {
			b.Fatalf("read %.12s: %d lines, %v; want %d", ids[i], got[i], errs[i], counts[i])
		}
	}
	return elapsed
}

// dockerCLIRead runs `docker logs id` and counts the lines it prints.
func dockerCLIRead(id string) (int, error) {
	var out, errs lineCounter
	cmd := exec.Command("docker", "logs", id)
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("docker logs: %w", err)
	}
	return out.n + errs.n, nil
}

// apiRead reads the whole log of id through ContainerLogs with
// timestamps, as the capturer does, and counts its lines.
func apiRead(cli *client.Client, id string) (int, error) {
	body, err := cli.ContainerLogs(context.Background(), id, container.LogsOptions{
		ShowStdout: true, ShowStderr: true, Timestamps: true,
	})
	if err != nil {
		return 0, err
	}
	defer body.Close()
	var out, errs lineCounter
	if _, err := stdcopy.StdCopy(&out, &errs, body); err != nil {
		return 0, err
	}
	return out.n + errs.n, nil
}

// lineCounter counts the newlines written to it.
type lineCounter struct{ n int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// capturer is `logcap run` as a child process of the benchmark.
type capturer struct {
	b       *testing.B
	cmd     *exec.Cmd
	base    string
	scraper *loadtest.Scraper
	dir     string
}

// startCapturer starts `logcap run` with the flags the soak passes, a
// pool of max streams and no rotation during the benchmark. It is stopped
// when the benchmark ends.
func (e *benchEnv) startCapturer(max int) *capturer {
	dir := e.b.TempDir()
	addr := freeAddr(e.b)
	log, err := os.Create(filepath.Join(dir, "capturer.log"))
	if err != nil {
		e.b.Fatal(err)
	}
	cmd := exec.Command(e.bin, "run",
		"--listen", addr,
		"--label", engine.LabelRun+"="+e.run,
		"--max-streams", strconv.Itoa(max),
		"--rotate-every", "1h",
		"--output", filepath.Join(dir, "lines.jsonl"),
		"--log-format", "json")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		e.b.Fatalf("start capturer: %v", err)
	}
	base := "http://" + addr
	sc, err := loadtest.NewScraper(base, "", 30*time.Second)
	if err != nil {
		e.b.Fatal(err)
	}
	c := &capturer{b: e.b, cmd: cmd, base: base, scraper: sc, dir: dir}
	e.b.Cleanup(func() { c.stop(); _ = log.Close() })
	return c
}

// stop sends SIGTERM and waits, killing the process after 30 seconds.
func (c *capturer) stop() {
	c.scraper.Close()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	t := time.AfterFunc(30*time.Second, func() { _ = c.cmd.Process.Kill() })
	defer t.Stop()
	if err := c.cmd.Wait(); err != nil {
		c.b.Errorf("capturer exit: %v (log in %s)", err, c.dir)
	}
}

// waitHealthy waits until /healthz answers 200.
func (c *capturer) waitHealthy() {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := c.scraper.Client.Get(c.base + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.b.Fatalf("capturer not healthy within 30s (log in %s)", c.dir)
}

// waitFor polls a metric every 20 ms until it reaches want and returns
// its last value.
func (c *capturer) waitFor(name string, want float64, limit time.Duration) float64 {
	deadline := time.Now().Add(limit)
	var v float64
	for time.Now().Before(deadline) {
		m, _, err := c.scraper.Metrics(context.Background(), []string{name})
		if err == nil {
			if v, _ = loadtest.Value(m, name); v >= want {
				return v
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.b.Fatalf("%s = %v after %v, want %v (log in %s)", name, v, limit, want, c.dir)
	return v
}

// scrape returns the benchmark's metrics, failing on any missing one.
func (c *capturer) scrape() map[string]float64 {
	m, _, err := c.scraper.Metrics(context.Background(), benchMetrics)
	if err != nil {
		c.b.Fatalf("scrape: %v", err)
	}
	out := make(map[string]float64, len(benchMetrics))
	for _, name := range benchMetrics {
		out[name], _ = loadtest.Value(m, name)
	}
	return out
}

// timeCheckpoints takes one untimed checkpoint, then k more a second
// apart, each a /metrics scrape and a debug=0 goroutine profile written
// to a file as the soak writes it, and returns how long those k took.
func (c *capturer) timeCheckpoints(k int) []time.Duration {
	c.checkpoint(0)
	out := make([]time.Duration, k)
	for i := range out {
		time.Sleep(time.Second)
		t0 := time.Now()
		c.checkpoint(i + 1)
		out[i] = time.Since(t0)
	}
	return out
}

func (c *capturer) checkpoint(i int) {
	ctx := context.Background()
	if _, _, err := c.scraper.Metrics(ctx, benchMetrics); err != nil {
		c.b.Fatalf("checkpoint scrape: %v", err)
	}
	path := filepath.Join(c.dir, fmt.Sprintf("%03d.pb.gz", i))
	if err := c.scraper.Profile(ctx, 0, path); err != nil {
		c.b.Fatalf("checkpoint profile: %v", err)
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func sumInts(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

func mean(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t / time.Duration(len(ds))
}

func rate(lines int, d time.Duration) float64 { return float64(lines) / d.Seconds() }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
