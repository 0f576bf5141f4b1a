package loadtest_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/logcap/logcap/internal/engine"
	"github.com/logcap/logcap/internal/engine/enginetest"
	"github.com/logcap/logcap/loadtest"
)

// newRun returns a fresh run id whose containers are removed when the
// test ends.
func newRun(t *testing.T, cli *client.Client) string {
	t.Helper()
	return newRunB(t, cli)
}

func newRunB(t testing.TB, cli *client.Client) string {
	t.Helper()
	run := engine.NewRunID()
	enginetest.Cleanup(t, cli, run)
	return run
}

func emitterOptions(t *testing.T, run string, n int) loadtest.SpawnOptions {
	return loadtest.SpawnOptions{
		Count: n, RunID: run, BinaryPath: enginetest.LogcapBinary(t),
	}
}

func TestSpawnTwentyEmitAtRate(t *testing.T) {
	cli := enginetest.Client(t)
	run := newRun(t, cli)
	ctx := context.Background()
	opts := emitterOptions(t, run, 20)
	opts.Rate, opts.StderrShare, opts.LineBytes = 20, 0.3, 64
	opts.Labels = map[string]string{"team": "core"}

	began := time.Now()
	started, err := loadtest.Spawn(ctx, cli, opts)
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	t.Logf("started 20 in %v", time.Since(began))

	checkNames(t, started, run, 20)
	checkListed(t, cli, run, 20, map[string]string{
		engine.LabelManaged: "true", engine.LabelRun: run, "test": "loadtest", "team": "core",
	})
	checkHostConfig(t, cli, started[0].ID)

	time.Sleep(4 * time.Second)
	for _, c := range started {
		checkRate(t, cli, c, opts.Rate)
	}
}

func checkNames(t *testing.T, got []loadtest.Container, run string, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("Spawn returned %d containers, want %d", len(got), n)
	}
	for i, c := range got {
		if want := fmt.Sprintf("logcap-%s-%03d", run, i+1); c.Name != want {
			t.Errorf("container %d name = %q, want %q", i, c.Name, want)
		}
	}
}

func checkListed(t *testing.T, cli *client.Client, run string, n int, labels map[string]string) {
	t.Helper()
	list, err := loadtest.List(context.Background(), cli, run)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != n {
		t.Fatalf("List(%s) = %d containers, want %d", run, len(list), n)
	}
	for _, c := range list {
		if c.State != "running" {
			t.Errorf("%s state = %q, want running", c.Name, c.State)
		}
		for k, want := range labels {
			if got := c.Labels[k]; got != want {
				t.Errorf("%s label %s = %q, want %q", c.Name, k, got, want)
			}
		}
	}
}

func checkHostConfig(t *testing.T, cli *client.Client, id string) {
	t.Helper()
	info, err := cli.ContainerInspect(context.Background(), id)
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	hc := info.HostConfig
	if hc.NetworkMode != "none" {
		t.Errorf("network mode = %q, want none", hc.NetworkMode)
	}
	if hc.Memory != loadtest.DefaultMemoryBytes || hc.NanoCPUs != loadtest.DefaultNanoCPUs {
		t.Errorf("memory, cpus = %d, %d; want %d, %d", hc.Memory, hc.NanoCPUs,
			loadtest.DefaultMemoryBytes, loadtest.DefaultNanoCPUs)
	}
}

// logLine is one line read back from the engine.
type logLine struct {
	time time.Time
	text string
}

// readLogs returns the lines of both streams, merged in time order, and
// the number that came on stderr.
func readLogs(t *testing.T, cli *client.Client, id string, tty bool) ([]logLine, int) {
	t.Helper()
	rc, err := cli.ContainerLogs(context.Background(), id, container.LogsOptions{
		ShowStdout: true, ShowStderr: true, Timestamps: true,
	})
	if err != nil {
		t.Fatalf("logs of %s: %v", id, err)
	}
	defer rc.Close()

	var stdout, stderr bytes.Buffer
	if tty {
		_, err = io.Copy(&stdout, rc)
	} else {
		_, err = stdcopy.StdCopy(&stdout, &stderr, rc)
	}
	if err != nil {
		t.Fatalf("read logs of %s: %v", id, err)
	}
	errLines := parseLog(t, &stderr)
	lines := append(parseLog(t, &stdout), errLines...)
	sortByTime(lines)
	return lines, len(errLines)
}

func parseLog(t *testing.T, r io.Reader) []logLine {
	t.Helper()
	var out []logLine
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		ts, text, _ := strings.Cut(sc.Text(), " ")
		tm, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, logLine{tm, strings.TrimRight(text, "\r")})
	}
	return out
}

func sortByTime(lines []logLine) {
	for i := 1; i < len(lines); i++ {
		for j := i; j > 0 && lines[j].time.Before(lines[j-1].time); j-- {
			lines[j], lines[j-1] = lines[j-1], lines[j]
		}
	}
}

// seqOf returns n of "<name> seq=<n> ...", or -1.
func seqOf(name, line string) int {
	rest, ok := strings.CutPrefix(line, name+" seq=")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(strings.SplitN(rest, " ", 2)[0])
	if err != nil {
		return -1
	}
	return n
}

// checkRate reads a container's lines back: numbered 1..n with no gap
// across both streams, some on stderr, at about the asked rate.
func checkRate(t *testing.T, cli *client.Client, c loadtest.Container, rate float64) {
	t.Helper()
	lines, onStderr := readLogs(t, cli, c.ID, false)
	seqs := map[int]bool{}
	for _, l := range lines {
		n := seqOf(c.Name, l.text)
		if n < 0 {
			t.Errorf("%s: unexpected line %q", c.Name, l.text)
			continue
		}
		seqs[n] = true
	}
	for n := 1; n <= len(seqs); n++ {
		if !seqs[n] {
			t.Errorf("%s: seq=%d missing among %d lines", c.Name, n, len(seqs))
			break
		}
	}
	if onStderr == 0 {
		t.Errorf("%s: no line on stderr, want about 30%%", c.Name)
	}
	if len(lines) < 20 {
		t.Fatalf("%s: %d lines, want at least 20 after 4 s at %v/s", c.Name, len(lines), rate)
	}
	span := lines[len(lines)-1].time.Sub(lines[0].time).Seconds()
	got := float64(len(lines)-1) / span
	if got < rate*0.8 || got > rate*1.2 {
		t.Errorf("%s: %.1f lines/s over %.1f s, want %v ± 20%%", c.Name, got, span, rate)
	}
}

func TestSpawnBadInputTouchesNoEngine(t *testing.T) {
	// A nil client panics if used: every case must fail before it.
	tests := []struct {
		name string
		edit func(*loadtest.SpawnOptions)
	}{
		{"zero containers", func(o *loadtest.SpawnOptions) { o.Count = 0 }},
		{"negative containers", func(o *loadtest.SpawnOptions) { o.Count = -3 }},
		{"reserved label", func(o *loadtest.SpawnOptions) {
			o.Labels = map[string]string{"logcap.run": "x"}
		}},
		{"empty label key", func(o *loadtest.SpawnOptions) { o.Labels = map[string]string{"": "x"} }},
		{"bad run id", func(o *loadtest.SpawnOptions) { o.RunID = "Bad_ID" }},
		{"cmd without image", func(o *loadtest.SpawnOptions) { o.Cmd = []string{"true"} }},
		{"stderr share above 1", func(o *loadtest.SpawnOptions) { o.StderrShare = 2 }},
		{"short long line", func(o *loadtest.SpawnOptions) { o.LongEvery, o.LongBytes = 3, 100 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := loadtest.SpawnOptions{Count: 2}
			tt.edit(&opts)
			got, err := loadtest.Spawn(context.Background(), nil, opts)
			if !errors.Is(err, loadtest.ErrSpawnInput) && !errors.Is(err, loadtest.ErrEmitOptions) {
				t.Errorf("Spawn = %v, %v; want a bad-input error", got, err)
			}
		})
	}
}

func TestSpawnUnknownImage(t *testing.T) {
	cli := enginetest.Client(t)
	run := newRun(t, cli)
	opts := loadtest.SpawnOptions{Count: 1, RunID: run, Image: "logcap-no-such-image:" + run,
		Cmd: []string{"x"}}

	_, err := loadtest.Spawn(context.Background(), cli, opts)
	if !errors.Is(err, loadtest.ErrImageNotFound) {
		t.Fatalf("Spawn = %v, want ErrImageNotFound", err)
	}
}

// TestSpawnPartialFailure takes the name of container 002 first, so its
// creation fails: the error must name it and the others must be gone.
func TestSpawnPartialFailure(t *testing.T) {
	cli := enginetest.Client(t)
	run := newRun(t, cli)
	ctx := context.Background()
	blocker := loadtest.ContainerName(run, 2)
	createIdle(t, cli, blocker, map[string]string{
		engine.LabelManaged: "true", engine.LabelRun: run,
	})

	for _, keep := range []bool{false, true} {
		opts := emitterOptions(t, run, 3)
		opts.KeepOnError = keep
		started, err := loadtest.Spawn(ctx, cli, opts)

		var serr *loadtest.SpawnError
		if !errors.As(err, &serr) || serr.Failed[blocker] == nil || len(serr.Failed) != 1 {
			t.Fatalf("keep=%v: Spawn error = %v, want a SpawnError naming only %s",
				keep, err, blocker)
		}
		if !strings.Contains(err.Error(), blocker) {
			t.Errorf("error %q does not name %s", err, blocker)
		}
		list, _ := loadtest.List(ctx, cli, run)
		wantLeft := map[bool]int{false: 1, true: 3}[keep]
		if len(list) != wantLeft || len(started) != wantLeft-1 {
			t.Errorf("keep=%v: %d containers left, %d returned; want %d, %d",
				keep, len(list), len(started), wantLeft, wantLeft-1)
		}
	}
}

// createIdle creates, without starting, a container from the emitter image.
func createIdle(t *testing.T, cli *client.Client, name string, labels map[string]string) string {
	t.Helper()
	resp, err := cli.ContainerCreate(context.Background(), &container.Config{
		Image: enginetest.Image(t), Labels: labels, Cmd: []string{"--name", name},
	}, &container.HostConfig{NetworkMode: "none"}, nil, nil, name)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return resp.ID
}

func TestSpawnTTYAndFinalLine(t *testing.T) {
	cli := enginetest.Client(t)
	run := newRun(t, cli)
	ctx := context.Background()
	opts := emitterOptions(t, run, 1)
	opts.TTY, opts.Rate = true, 50

	started, err := loadtest.Spawn(ctx, cli, opts)
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	c := started[0]
	time.Sleep(time.Second)
	timeout := 10
	if err := cli.ContainerStop(ctx, c.ID, container.StopOptions{Timeout: &timeout}); err != nil {
		t.Fatalf("stop: %v", err)
	}

	lines, _ := readLogs(t, cli, c.ID, true)
	if len(lines) < 2 {
		t.Fatalf("%d lines, want at least 2", len(lines))
	}
	last := lines[len(lines)-1].text
	want := fmt.Sprintf("%s final emitted=%d", c.Name, len(lines)-1)
	if last != want {
		t.Errorf("last line = %q, want %q", last, want)
	}
	if n := seqOf(c.Name, lines[len(lines)-2].text); n != len(lines)-1 {
		t.Errorf("line before final has seq %d, want %d", n, len(lines)-1)
	}
}

func TestCleanupOnlyOwnRun(t *testing.T) {
	cli := enginetest.Client(t)
	run := newRun(t, cli)
	ctx := context.Background()
	unrelated := startUnrelated(t, cli, run)

	started, err := loadtest.Spawn(ctx, cli, emitterOptions(t, run, 3))
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}

	removed, err := loadtest.Cleanup(ctx, cli, run, false)
	if err != nil {
		t.Fatalf("Cleanup: %v", err)
	}
	var want []string
	for _, c := range started {
		want = append(want, c.Name)
	}
	if !equalStrings(removed, want) {
		t.Errorf("Cleanup removed %v, want %v", removed, want)
	}

	again, err := loadtest.Cleanup(ctx, cli, run, false)
	if err != nil || len(again) != 0 {
		t.Errorf("second Cleanup = %v, %v; want nothing, nil", again, err)
	}
	info, err := cli.ContainerInspect(ctx, unrelated)
	if err != nil || !info.State.Running {
		t.Fatalf("unrelated container after cleanup: %v, err %v; want running", info.State, err)
	}
	if _, ok := info.Config.Labels[engine.LabelManaged]; ok {
		t.Errorf("unrelated container has label %s; the test is not testing", engine.LabelManaged)
	}
}

// startUnrelated starts a container that has no logcap label at all, not
// even one inherited from the emitter image: it runs an image of its own
// built here. Both carry run under another key and are removed when the
// test ends.
func startUnrelated(t *testing.T, cli *client.Client, run string) string {
	t.Helper()
	ctx := context.Background()
	ref := "logcap-test-unrelated:" + run
	labels := map[string]string{"logcap-test.owner": run}
	if err := engine.BuildImage(ctx, cli, enginetest.LogcapBinary(t), ref, labels); err != nil {
		t.Fatalf("build unrelated image: %v", err)
	}
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true})
	})

	name := "unrelated-" + run
	resp, err := cli.ContainerCreate(ctx, &container.Config{
		Image: ref, Labels: labels, Cmd: []string{"--name", name},
	}, &container.HostConfig{NetworkMode: "none"}, nil, nil, name)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	t.Cleanup(func() {
		opts := container.RemoveOptions{Force: true}
		_ = cli.ContainerRemove(context.Background(), resp.ID, opts)
	})
	if err := cli.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	return resp.ID
}

func equalStrings(a, b []string) bool {
	return maps.Equal(setOf(a), setOf(b)) && len(a) == len(b)
}

func setOf(s []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}

// TestSpawnInterruptedRemovesStarted cancels the spawn after three
// containers run: the error says so and nothing of the run is left.
func TestSpawnInterruptedRemovesStarted(t *testing.T) {
	cli := enginetest.Client(t)
	run := newRun(t, cli)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := emitterOptions(t, run, 12)
	opts.Concurrency = 2
	opts.Progress = func(started, _ int) {
		if started == 3 {
			cancel()
		}
	}

	got, err := loadtest.Spawn(ctx, cli, opts)
	if !errors.Is(err, context.Canceled) || got != nil {
		t.Fatalf("Spawn = %d containers, %v; want none, context.Canceled", len(got), err)
	}
	list, err := loadtest.List(context.Background(), cli, run)
	if err != nil || len(list) != 0 {
		t.Errorf("after interruption List = %d containers, %v; want none", len(list), err)
	}
}

// TestCleanupImagesOfRun removes, with images, an image carrying the run
// id along with the run's containers, and nothing else.
func TestCleanupImagesOfRun(t *testing.T) {
	cli := enginetest.Client(t)
	run := newRun(t, cli)
	ctx := context.Background()
	ref := "logcap-emit-test:" + run
	labels := map[string]string{engine.LabelManaged: "true", engine.LabelRun: run}
	if err := engine.BuildImage(ctx, cli, enginetest.LogcapBinary(t), ref, labels); err != nil {
		t.Fatalf("BuildImage: %v", err)
	}
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true})
	})
	opts := loadtest.SpawnOptions{Count: 2, RunID: run, Image: ref,
		Cmd: []string{"--name", "x"}}
	started, err := loadtest.Spawn(ctx, cli, opts)
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}

	removed, err := loadtest.Cleanup(ctx, cli, run, true)
	want := []string{started[0].Name, started[1].Name, ref}
	if err != nil || !equalStrings(removed, want) {
		t.Errorf("Cleanup = %v, %v; want %v, nil", removed, err, want)
	}
	if _, err := cli.ImageInspect(ctx, ref); !errdefs.IsNotFound(err) {
		t.Errorf("image %s after cleanup: %v, want not found", ref, err)
	}
}

// TestSpawnLongLines checks that long lines reach the engine whole: Docker
// splits them into 16 KiB messages that join back into one line.
func TestSpawnLongLines(t *testing.T) {
	cli := enginetest.Client(t)
	run := newRun(t, cli)
	opts := emitterOptions(t, run, 1)
	opts.Rate, opts.LongEvery, opts.LongBytes = 20, 2, 40000

	started, err := loadtest.Spawn(context.Background(), cli, opts)
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	time.Sleep(time.Second)

	rc, err := cli.ContainerLogs(context.Background(), started[0].ID,
		container.LogsOptions{ShowStdout: true})
	if err != nil {
		t.Fatalf("logs: %v", err)
	}
	defer rc.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, io.Discard, rc); err != nil {
		t.Fatalf("read logs: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) < 4 {
		t.Fatalf("%d lines, want at least 4", len(lines))
	}
	for i, l := range lines {
		want := loadtest.DefaultLineBytes
		if (i+1)%2 == 0 {
			want = opts.LongBytes
		}
		if len(l) != want {
			t.Errorf("line %d: %d bytes, want %d", i+1, len(l), want)
		}
	}
}
