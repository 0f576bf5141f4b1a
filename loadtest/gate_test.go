package loadtest_test

// End-to-end gate tests: `logcap soak` run as a user's CI runs it, on the
// real engine, against logcap's own capturer and against the deliberately
// leaking capturer of testdata/leaky. They run in parallel and take about
// six minutes of wall time together; -short skips them.
//
// A compressed run spans less than the default --min-duration (5m) from
// baseline to final, so each passes a --min-duration that fits inside it.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/logcap/logcap/analyze"
	"github.com/logcap/logcap/internal/engine"
	"github.com/logcap/logcap/internal/engine/enginetest"
	"github.com/logcap/logcap/reports"
)

// The leaky capturer plants 2 goroutines on one stack per stream rotation
// (testdata/leaky/README.md). A rotation between a checkpoint's scrape and
// its profile fetch, or a rare rotation that plants 1, moves the count a
// little: the test allows plantedSlack plus 10%.
const (
	plantedPerRotation = 2
	plantedSlack       = 6
	plantedFile        = "testdata/leaky/follower.go"
	plantedMark        = "PLANTED LEAK (a)"
)

// TestGateRealCapturerPasses: 55 containers on a pool of 50, rotating
// every 20 s for 4 minutes, pass every criterion with no line lost or
// repeated, and the 5 containers beyond capacity are captured too.
func TestGateRealCapturerPasses(t *testing.T) {
	skipGateShort(t)
	t.Parallel()

	g := gateSoak(t, "",
		"--containers", "55", "--max-streams", "50", "--duration", "4m",
		"--interval", "15s", "--rotate-every", "20s", "--warmup", "30s",
		"--min-duration", "2m")

	g.wantExit(t, 0)
	g.wantVerdict(t, analyze.Pass)
	for _, c := range g.summary.Criteria {
		if c.Verdict != string(analyze.Pass) {
			t.Errorf("criterion %s = %s (%s), want PASS", c.Name, c.Verdict, c.Reason)
		}
	}
	g.wantComplete(t, 55)
	if rot := g.lastValue(t, "logcap_rotations_total"); rot < 10 {
		t.Errorf("rotations at the last checkpoint = %v, want at least 10", rot)
	}
}

// TestGateLeakyCapturerFails: the leaking capturer fails goroutine and fd
// growth, passes the rest, and the top growing stack of the report is its
// planted line, grown by 2 per rotation.
func TestGateLeakyCapturerFails(t *testing.T) {
	skipGateShort(t)
	t.Parallel()

	leaky := gateBuildLeaky(t)
	g := gateSoak(t, leaky,
		"--containers", "20", "--max-streams", "50", "--duration", "2m30s",
		"--interval", "10s", "--rotate-every", "10s", "--warmup", "20s",
		"--min-duration", "1m")

	g.wantExit(t, 1)
	g.wantVerdict(t, analyze.Fail)
	want := map[string]analyze.Verdict{
		analyze.CritGoroutines: analyze.Fail,
		analyze.CritFDs:        analyze.Fail,
		analyze.CritPool:       analyze.Pass,
		analyze.CritHealth:     analyze.Pass,
		analyze.CritRotations:  analyze.Pass,
	}
	for _, c := range g.summary.Criteria {
		if w, ok := want[c.Name]; ok && c.Verdict != string(w) {
			t.Errorf("criterion %s = %s (%s), want %s", c.Name, c.Verdict, c.Reason, w)
		}
	}
	g.wantComplete(t, 20)
	g.wantPlantedTop(t)
}

// TestGateChurnPasses: containers replaced throughout do not make the real
// capturer leak or lose lines.
//
// The pool criterion compares active streams with the containers the soak
// saw running at each checkpoint, so replacements in flight do not count
// against the capturer.
func TestGateChurnPasses(t *testing.T) {
	skipGateShort(t)
	t.Parallel()

	g := gateSoak(t, "",
		"--containers", "20", "--churn", "20/min", "--max-streams", "50",
		"--duration", "3m", "--interval", "10s", "--rotate-every", "15s",
		"--warmup", "20s", "--min-duration", "1m30s")

	g.wantExit(t, 0)
	g.wantVerdict(t, analyze.Pass)
	if c := g.summary.Completeness; c == nil || c.Lost != 0 || c.Repeated != 0 {
		t.Errorf("completeness = %+v, want no line lost or repeated", c)
	}
}

func skipGateShort(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end soak: skipped with -short")
	}
}

// gateRun is one finished `logcap soak`.
type gateRun struct {
	dir     string
	code    int
	summary reports.SummaryJSON
	run     analyze.Run
}

// runSoak runs `logcap soak --out DIR args...`, with `--capturer capturer`
// unless capturer is empty, and reads the run directory. It checks that no
// container of the run is left, and removes any that is.
func gateSoak(t *testing.T, capturer string, args ...string) *gateRun {
	t.Helper()
	cli := enginetest.Client(t)
	bin := enginetest.LogcapBinary(t)

	g := &gateRun{dir: filepath.Join(t.TempDir(), "run")}
	args = append([]string{"soak", "--out", g.dir}, args...)
	if capturer != "" {
		args = append(args, "--capturer", capturer)
	}
	var out bytes.Buffer
	g.code = gateExec(t, bin, &out, args)
	t.Cleanup(func() {
		if t.Failed() {
			gateLogRun(t, g.dir, out.String())
		}
	})

	run, err := analyze.ReadRun(g.dir)
	if err != nil {
		t.Fatalf("soak exited %d and left no readable run: %v", g.code, err)
	}
	g.run = run
	gateNoneLeft(t, cli, run.Info.RunID)

	b, err := os.ReadFile(filepath.Join(g.dir, "summary.json"))
	if err != nil {
		t.Fatalf("soak exited %d: %v", g.code, err)
	}
	if err := json.Unmarshal(b, &g.summary); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	return g
}

// runLogcap runs bin with args and returns its exit code. It is
// interrupted (the report is still written) if the test's deadline comes
// close.
func gateExec(t *testing.T, bin string, out *bytes.Buffer, args []string) int {
	t.Helper()
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-90*time.Second))
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute

	start := time.Now()
	err := cmd.Run()
	t.Logf("logcap %s: %v after %s", strings.Join(args, " "), err,
		time.Since(start).Round(time.Second))
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode()
	}
	t.Fatalf("run logcap soak: %v\n%s", err, out)
	return -1
}

// checkNoneLeft fails if a container of runID outlived the soak, and
// removes it.
func gateNoneLeft(t *testing.T, cli *client.Client, runID string) {
	t.Helper()
	if runID == "" {
		t.Error("run.json has no run id")
		return
	}
	ctx := context.Background()
	f := filters.NewArgs(filters.Arg("label", engine.LabelRun+"="+runID))
	left, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		t.Errorf("list containers of run %s: %v", runID, err)
		return
	}
	if len(left) > 0 {
		t.Errorf("%d containers of run %s left after the soak", len(left), runID)
		if err := enginetest.RemoveRun(ctx, cli, runID); err != nil {
			t.Errorf("remove them: %v", err)
		}
	}
}

// logRun shows what a failed run left: the soak's output, the head of
// the report and the tail of the capturer's log.
func gateLogRun(t *testing.T, dir, out string) {
	t.Logf("soak output:\n%s", gateTail(out, 40))
	if b, err := os.ReadFile(filepath.Join(dir, "report.md")); err == nil {
		t.Logf("report.md:\n%s", gateHead(string(b), 80))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "capturer.log")); err == nil {
		t.Logf("capturer.log (tail):\n%s", gateTail(string(b), 20))
	}
}

func (g *gateRun) wantExit(t *testing.T, want int) {
	t.Helper()
	if g.code != want {
		t.Errorf("soak exit code = %d, want %d", g.code, want)
	}
}

func (g *gateRun) wantVerdict(t *testing.T, want analyze.Verdict) {
	t.Helper()
	if g.summary.Verdict != string(want) {
		t.Errorf("verdict = %s (%s), want %s", g.summary.Verdict,
			strings.Join(g.summary.Reasons, "; "), want)
	}
}

// wantComplete checks that each of n containers had its lines captured,
// none lost and none twice.
func (g *gateRun) wantComplete(t *testing.T, n int) {
	t.Helper()
	c := g.run.Info.Completeness
	if c == nil {
		t.Fatal("run.json carries no completeness")
	}
	if len(c.Containers) != n {
		t.Errorf("completeness covers %d containers, want %d", len(c.Containers), n)
	}
	for _, ct := range c.Containers {
		if ct.Captured == 0 || ct.Lost != 0 || ct.Repeated != 0 {
			t.Errorf("%s: emitted %d captured %d lost %d repeated %d, want all once",
				ct.Name, ct.Emitted, ct.Captured, ct.Lost, ct.Repeated)
		}
	}
}

// lastValue is metric summed over its series at the last checkpoint.
func (g *gateRun) lastValue(t *testing.T, metric string) float64 {
	t.Helper()
	cps := g.run.Checkpoints
	return gateMetric(t, cps[len(cps)-1], metric)
}

func gateMetric(t *testing.T, cp analyze.Checkpoint, metric string) float64 {
	t.Helper()
	samples, ok := cp.Metrics[metric]
	if !ok {
		t.Fatalf("checkpoint %d has no %s", cp.Index, metric)
	}
	var sum float64
	for _, s := range samples {
		sum += s.Value
	}
	return sum
}

// wantPlantedTop checks that the stack that grew most is the planted
// reader of testdata/leaky, that the report names it, and that it grew by
// plantedPerRotation for each rotation between the two profiles diffed.
func (g *gateRun) wantPlantedTop(t *testing.T) {
	t.Helper()
	res, err := analyze.Score(g.run, analyze.DefaultCriteria())
	if err != nil {
		t.Fatalf("score the run again: %v", err)
	}
	if len(res.Stacks) == 0 || len(g.summary.Stacks) == 0 {
		t.Fatalf("no growing stack: result %d, summary.json %d",
			len(res.Stacks), len(g.summary.Stacks))
	}
	top := res.Stacks[0]
	line := gatePlantedLine(t)
	if !gateHasFrame(top.Stack, plantedFile, line) {
		t.Errorf("top growing stack %s %s does not hold %s:%d:\n%s",
			top.Function, top.Location, plantedFile, line, gateFrames(top.Stack))
	}
	report, err := os.ReadFile(filepath.Join(g.dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if loc := fmt.Sprintf("%s:%d", plantedFile, line); !bytes.Contains(report, []byte(loc)) {
		t.Errorf("report.md does not show the planted line %s", loc)
	}
	if s := g.summary.Stacks[0]; s.Location != top.Location || s.Delta != top.Delta {
		t.Errorf("summary.json top stack = %s +%d, want %s +%d",
			s.Location, s.Delta, top.Location, top.Delta)
	}

	rot := g.rotationsBetween(t, res.BaseProfile, res.FinalProfile)
	want := plantedPerRotation * rot
	slack := plantedSlack + 0.1*want
	t.Logf("planted stack grew %d over %v rotations (want %v ± %.0f)", top.Delta, rot, want, slack)
	if math.Abs(float64(top.Delta)-want) > slack {
		t.Errorf("planted stack grew %d over %v rotations, want %v ± %.0f",
			top.Delta, rot, want, slack)
	}
}

// rotationsBetween is the growth of logcap_rotations_total between the
// checkpoints whose profiles are base and final.
func (g *gateRun) rotationsBetween(t *testing.T, base, final string) float64 {
	t.Helper()
	var from, to *analyze.Checkpoint
	for i := range g.run.Checkpoints {
		switch cp := &g.run.Checkpoints[i]; cp.Profile {
		case base:
			from = cp
		case final:
			to = cp
		}
	}
	if from == nil || to == nil {
		t.Fatalf("no checkpoints for profiles %q and %q", base, final)
	}
	return gateMetric(t, *to, "logcap_rotations_total") -
		gateMetric(t, *from, "logcap_rotations_total")
}

func gateHasFrame(stack []analyze.Frame, file string, line int) bool {
	for _, f := range stack {
		if strings.HasSuffix(f.File, file) && f.Line == int64(line) {
			return true
		}
	}
	return false
}

func gateFrames(stack []analyze.Frame) string {
	var b strings.Builder
	for _, f := range stack {
		fmt.Fprintf(&b, "  %s %s:%d\n", f.Function, f.File, f.Line)
	}
	return b.String()
}

// plantedLine is the line of plantedFile that carries plantedMark.
func gatePlantedLine(t *testing.T) int {
	t.Helper()
	f, err := os.Open(plantedFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), plantedMark) {
			return n
		}
	}
	t.Fatalf("%s has no line marked %q", plantedFile, plantedMark)
	return 0
}

// gateBuildLeaky builds testdata/leaky, static, into the test's directory.
func gateBuildLeaky(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "leaky")
	cmd := exec.Command("go", "build", "-o", path, "./testdata/leaky")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the leaky capturer: %v: %s", err, out)
	}
	return path
}

func gateHead(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

func gateTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
