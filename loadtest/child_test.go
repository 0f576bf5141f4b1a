package loadtest

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeCapturer writes a shell script that logs its arguments and then
// behaves as body says.
func fakeCapturer(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "capturer")
	script := "#!/bin/sh\necho \"args: $*\" >&2\n" + body + "\n"
	require.NoError(t, os.WriteFile(path, []byte(script), 0o755))
	return path
}

func testChildOptions(t *testing.T, path string) childOptions {
	dir := t.TempDir()
	return childOptions{
		Path: path, Listen: "127.0.0.1:9", RunID: "rtest-child", MaxStreams: 7,
		RotateEvery: 5 * time.Second, Output: filepath.Join(dir, SinkFile),
		LogPath: filepath.Join(dir, CapturerLogFile),
	}
}

func TestChildArgsAndStop(t *testing.T) {
	bin := fakeCapturer(t, `trap 'echo stopped >&2; exit 0' TERM; while :; do sleep 0.05; done`)
	opts := testChildOptions(t, bin)

	c, err := startChild(opts)
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond) // let the shell set its trap
	require.NoError(t, c.Stop(5*time.Second))

	log, err := os.ReadFile(opts.LogPath)
	require.NoError(t, err)
	want := "args: run --listen 127.0.0.1:9 --label logcap.run=rtest-child --max-streams 7" +
		" --rotate-every 5s --output " + opts.Output + " --log-format json"
	require.Contains(t, string(log), want)
	require.Contains(t, string(log), "stopped")
	require.NoError(t, c.Stop(time.Second), "a second Stop is harmless")
}

func TestChildKilledAfterGrace(t *testing.T) {
	bin := fakeCapturer(t, `trap '' TERM; while :; do sleep 0.05; done`)
	c, err := startChild(testChildOptions(t, bin))
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond)

	err = c.Stop(300 * time.Millisecond)
	require.ErrorContains(t, err, "killed")
}

func TestWaitReadyChildExits(t *testing.T) {
	bin := fakeCapturer(t, `echo "listen tcp 127.0.0.1:9: bind: address already in use" >&2; exit 1`)
	c, err := startChild(testChildOptions(t, bin))
	require.NoError(t, err)
	defer c.Stop(time.Second)
	hc := &http.Client{Timeout: 100 * time.Millisecond}

	err = waitReady(context.Background(), hc, "http://127.0.0.1:9/metrics", c, 10*time.Second)
	require.ErrorIs(t, err, ErrChildExited)
	require.ErrorContains(t, err, "address already in use", "names the child's last words")
}

func TestWaitReadyTimeout(t *testing.T) {
	hc := &http.Client{Timeout: 100 * time.Millisecond}
	err := waitReady(context.Background(), hc, "http://127.0.0.1:9/metrics", nil,
		300*time.Millisecond)
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "not answering"), "got %v", err)
}

func TestStartChildMissingBinary(t *testing.T) {
	_, err := startChild(testChildOptions(t, "/nonexistent/capturer"))
	require.ErrorContains(t, err, "start capturer")
}
