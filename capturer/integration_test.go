package capturer

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/logcap/logcap/internal/engine"
	"github.com/logcap/logcap/internal/engine/enginetest"
)

// emitter is one container running `logcap emit`, made by a test.
type emitter struct {
	id, name string
}

// startEmitter creates and starts a labelled emitter container with no
// network and small limits.
func startEmitter(t testing.TB, cli *client.Client, image, runID string, n int, tty bool,
	args ...string) emitter {
	t.Helper()
	return startEmitterLog(t, cli, image, runID, n, tty, container.LogConfig{}, args...)
}

// startEmitterLog is startEmitter with a log configuration of its own.
func startEmitterLog(t testing.TB, cli *client.Client, image, runID string, n int, tty bool,
	logCfg container.LogConfig, args ...string) emitter {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("logcap-%s-%03d", runID, n)
	cfg := &container.Config{
		Image:  image,
		Cmd:    append([]string{"--name", name}, args...),
		Tty:    tty,
		Labels: map[string]string{engine.LabelManaged: "true", engine.LabelRun: runID},
	}
	host := &container.HostConfig{
		NetworkMode: "none",
		Resources:   container.Resources{Memory: 64 << 20, NanoCPUs: 500_000_000},
		LogConfig:   logCfg,
	}
	resp, err := cli.ContainerCreate(ctx, cfg, host, nil, nil, name)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if err := cli.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	return emitter{id: resp.ID, name: name}
}

// TestCaptureRealEngine is the end-to-end check of issue 2: numbered lines
// on stdout and stderr, a TTY container, a 40,000-byte line, a container
// restarted mid-run, one removed mid-run and one that lives a moment; the
// capturer rotates every 2 seconds, at least 10 times per stream; every
// line of every container lands in the sink exactly once, in order per
// stream; and once Run returns the goroutine count is back where it was.
func TestCaptureRealEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs containers for about 30 seconds")
	}
	cli := enginetest.Client(t)
	image := enginetest.Image(t)
	runID := engine.NewRunID()
	enginetest.Cleanup(t, cli, runID)
	ctx := context.Background()

	plain := startEmitter(t, cli, image, runID, 1, false, "--rate", "100", "--stderr-share", "0.3")
	tty := startEmitter(t, cli, image, runID, 2, true, "--rate", "50", "--stderr-share", "0.2")
	long := startEmitter(t, cli, image, runID, 3, false, "--rate", "20", "--long-every", "4",
		"--long-bytes", "40000")
	restarted := startEmitter(t, cli, image, runID, 4, false, "--rate", "50", "--stderr-share", "0.5")
	removed := startEmitter(t, cli, image, runID, 5, false, "--rate", "50")

	before := idleGoroutines(cli)
	out := filepath.Join(t.TempDir(), "lines.jsonl")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := New(Config{
		Engine: cli, Output: f, Listen: "127.0.0.1:0", RotateEvery: 2 * time.Second,
		Filter: Filter{Labels: map[string]string{engine.LabelRun: runID}},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()

	time.Sleep(6 * time.Second)
	timeout := 1
	stop := container.StopOptions{Timeout: &timeout}
	if err := cli.ContainerRestart(ctx, restarted.id, stop); err != nil {
		t.Fatalf("restart: %v", err)
	}
	time.Sleep(4 * time.Second)
	if err := cli.ContainerRemove(ctx, removed.id, container.RemoveOptions{Force: true}); err != nil {
		t.Fatalf("remove: %v", err)
	}
	short := startEmitter(t, cli, image, runID, 6, false, "--rate", "100", "--count", "2")
	time.Sleep(13 * time.Second)

	for _, e := range []emitter{plain, tty, long, restarted} {
		if err := cli.ContainerStop(ctx, e.id, stop); err != nil {
			t.Fatalf("stop %s: %v", e.name, err)
		}
	}
	waitForTB(t, func() bool {
		return metricValue(t, c.deps.met, "logcap_containers_followed") == 0
	})
	rotations := metricValue(t, c.deps.met, "logcap_rotations_total")
	t.Logf("%v rotations, %v lines, %v repeats dropped", rotations,
		metricValue(t, c.deps.met, "logcap_lines_total"),
		metricValue(t, c.deps.met, "logcap_boundary_duplicates_dropped_total"))
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}

	waitForTB(t, func() bool { return idleGoroutines(cli) <= before })

	if rotations < 20 {
		t.Errorf("rotations = %v, want at least 20 (about 11 for each of 4 containers)", rotations)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := parseSink(t, string(data))
	byName := map[string][]sinkLine{}
	for _, l := range lines {
		byName[l.Name] = append(byName[l.Name], l)
	}
	checkEpochs(t, plain.name, byName[plain.name], 1, true)
	checkEpochs(t, tty.name, byName[tty.name], 1, true)
	checkEpochs(t, long.name, byName[long.name], 1, true)
	checkEpochs(t, restarted.name, byName[restarted.name], 2, true)
	checkEpochs(t, removed.name, byName[removed.name], 1, false)
	checkEpochs(t, short.name, byName[short.name], 1, false)
	checkTTY(t, byName[tty.name])
	checkLong(t, byName[long.name])
}

// idleGoroutines closes the client's idle connections, lets their
// goroutines end, and counts goroutines.
func idleGoroutines(cli *client.Client) int {
	cli.HTTPClient().CloseIdleConnections()
	time.Sleep(50 * time.Millisecond)
	return runtime.NumGoroutine()
}

// checkEpochs checks a container's lines: each run of the emitter (an
// epoch, ended by its "final emitted=N" line when stopped) gave lines
// 1..N exactly once, in order on each stream.
func checkEpochs(t *testing.T, name string, lines []sinkLine, wantEpochs int, final bool) {
	t.Helper()
	if len(lines) == 0 {
		t.Errorf("%s: no line captured", name)
		return
	}
	epochs := splitEpochs(lines) // keeps sink order within each stream
	if len(epochs) != wantEpochs {
		t.Errorf("%s: %d epochs, want %d", name, len(epochs), wantEpochs)
	}
	for k, ep := range epochs {
		if final && ep.emitted < 0 {
			t.Errorf("%s epoch %d: no final line", name, k+1)
		}
		checkEpoch(t, fmt.Sprintf("%s epoch %d", name, k+1), ep)
	}
}

type epoch struct {
	seqs    map[string][]int // stream -> sequence numbers in sink order
	emitted int              // from the final line, -1 if none
}

// splitEpochs groups lines by emitter run. A run ends with its final line;
// the last stderr line of a run can be stamped a moment after the final
// stdout line, so a line belongs to a run ended by a final line up to
// epochSlack before it. A restart takes far longer than that.
func splitEpochs(lines []sinkLine) []epoch {
	var finals []time.Time
	var out []epoch
	for _, l := range lines {
		fields := strings.Fields(l.Line)
		if len(fields) >= 3 && fields[1] == "final" {
			n, _ := strconv.Atoi(strings.TrimPrefix(fields[2], "emitted="))
			finals = append(finals, parseTime(l.Time))
			out = append(out, epoch{seqs: map[string][]int{}, emitted: n})
		}
	}
	out = append(out, epoch{seqs: map[string][]int{}, emitted: -1})
	for _, l := range lines {
		fields := strings.Fields(l.Line)
		if len(fields) < 2 || !strings.HasPrefix(fields[1], "seq=") {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(fields[1], "seq="))
		k := 0
		for k < len(finals) && parseTime(l.Time).After(finals[k].Add(epochSlack)) {
			k++
		}
		out[k].seqs[l.Stream] = append(out[k].seqs[l.Stream], n)
	}
	if len(out[len(out)-1].seqs) == 0 {
		out = out[:len(out)-1]
	}
	return out
}

const epochSlack = 100 * time.Millisecond

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func checkEpoch(t *testing.T, what string, ep epoch) {
	t.Helper()
	seen := map[int]int{}
	most := 0
	for stream, seqs := range ep.seqs {
		for i, n := range seqs {
			if i > 0 && n <= seqs[i-1] {
				t.Errorf("%s %s: seq %d after %d: out of order", what, stream, n, seqs[i-1])
			}
			seen[n]++
			most = max(most, n)
		}
	}
	if ep.emitted >= 0 && most != ep.emitted {
		t.Errorf("%s: highest seq %d, emitter said %d", what, most, ep.emitted)
	}
	for n := 1; n <= most; n++ {
		if seen[n] != 1 {
			t.Errorf("%s: seq %d captured %d times, want once", what, n, seen[n])
		}
	}
}

func checkTTY(t *testing.T, lines []sinkLine) {
	t.Helper()
	for _, l := range lines {
		if l.Stream != "stdout" || strings.ContainsAny(l.Line, "\r\n") {
			t.Errorf("TTY line on %s, %q: want stdout with no CR or LF",
				l.Stream, l.Line[:min(40, len(l.Line))])
			return
		}
	}
}

func checkLong(t *testing.T, lines []sinkLine) {
	t.Helper()
	long := 0
	for _, l := range lines {
		if len(l.Line) > 16384 {
			long++
			if len(l.Line) != 40000 || l.Truncated {
				t.Errorf("long line of %d bytes (truncated %v), want 40000 whole", len(l.Line), l.Truncated)
			}
		}
	}
	if long == 0 {
		t.Error("no 40,000-byte line captured")
	}
}
