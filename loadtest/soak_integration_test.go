package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/logcap/logcap/analyze"
	"github.com/logcap/logcap/internal/engine/enginetest"
)

// TestSoakIntegration runs `logcap soak` as a user would, on the real
// engine with logcap's own capturer: 10 containers for a minute, a
// checkpoint every 10s, rotation every 5s. It wants a complete run
// directory, a PASS with every line captured once, and no container left.
//
// A one-minute run cannot resolve the default 2 goroutines a minute: one
// goroutine of a rotation in flight at one checkpoint is 1.3/min over the
// 45s scored. The threshold is raised to 10/min, which a leak of even one
// goroutine per rotation (about 160/min here) still fails.
func TestSoakIntegration(t *testing.T) {
	if testing.Short() {
		t.Skip("soak on the real engine: skipped with -short")
	}
	cli := enginetest.Client(t)
	bin := enginetest.LogcapBinary(t)
	runID := fmt.Sprintf("rsoakit-%d", time.Now().UnixNano()%1_000_000)
	enginetest.Cleanup(t, cli, runID)
	dir := filepath.Join(t.TempDir(), "run")

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "soak", "--out", dir, "--run", runID,
		"--containers", "10", "--duration", "1m", "--warmup", "10s", "--interval", "10s",
		"--rotate-every", "5s", "--min-duration", "30s", "--max-goroutine-growth", "10")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	report := filepath.Join(dir, "report.md")
	require.NoError(t, err, "logcap soak: stdout %q\nstderr:\n%s", stdout.String(),
		stderr.String())
	require.Equal(t, "PASS "+report+"\n", stdout.String(), "stdout: verdict and report only")
	requireFiles(t, dir, "run.json", "checkpoints.jsonl", "report.md", "summary.json",
		"chart.svg", SinkFile, CapturerLogFile, "pprof/000.pb.gz", "pprof/000.txt")

	run := readRun(t, dir)
	n := len(run.Checkpoints)
	require.GreaterOrEqual(t, n, 5)
	requireFiles(t, dir, fmt.Sprintf("pprof/%03d.pb.gz", n-1), fmt.Sprintf("pprof/%03d.txt", n-1))
	require.True(t, run.Info.Builtin)
	require.NotEmpty(t, run.Info.EngineVersion)
	require.NotEmpty(t, run.Info.Flags)
	require.Equal(t, runID, run.Info.RunID)
	require.Equal(t, bin, run.Info.CapturerBinary, "run.json names the capturer measured")
	require.Len(t, run.Info.CapturerSHA256, 64)
	requireComplete(t, run.Info.Completeness, 10)

	md, err := os.ReadFile(report)
	require.NoError(t, err)
	require.Contains(t, string(md), "capturer measured: "+bin, "the report names the binary")

	left, err := List(context.Background(), cli, runID)
	require.NoError(t, err)
	require.Empty(t, left, "no container of the run left behind")
	log, err := os.ReadFile(filepath.Join(dir, CapturerLogFile))
	require.NoError(t, err)
	require.Contains(t, string(log), "stopped", "the capturer stopped on SIGTERM")
}

func requireComplete(t *testing.T, c *analyze.Completeness, containers int) {
	t.Helper()
	require.NotNil(t, c, "completeness checked")
	require.Len(t, c.Containers, containers)
	for _, cl := range c.Containers {
		require.True(t, strings.HasPrefix(cl.Name, "logcap-"), cl.Name)
		require.Positive(t, cl.Emitted, cl.Name)
		require.Zero(t, cl.Lost, cl.Name)
		require.Zero(t, cl.Repeated, cl.Name)
		require.True(t, cl.FinalSeen, cl.Name)
	}
}
