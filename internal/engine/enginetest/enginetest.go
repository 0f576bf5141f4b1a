// Package enginetest gives tests a real Docker engine: a client, a static
// logcap binary, the emitter image, and cleanup of a run's containers.
//
// Tests that need the engine fail when the environment variable CI is set
// and no engine answers, and skip otherwise (and always with -short).
package enginetest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/logcap/logcap/internal/engine"
)

// Client connects to the engine, or fails (CI set) or skips the test. The
// client is closed when the test ends. With -short it skips at once, as
// `make test-short` promises no Docker.
func Client(t testing.TB) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs a Docker engine")
	}
	cli, err := engine.Connect(context.Background())
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

var binary struct {
	once sync.Once
	path string
	err  error
}

// LogcapBinary builds ./cmd/logcap with CGO_ENABLED=0 once per test
// process and returns its path.
//
// No hook runs after the last test of a package, so the binary outlives
// its process; the next build removes those of processes that are gone.
func LogcapBinary(t testing.TB) string {
	t.Helper()
	binary.once.Do(func() { binary.path, binary.err = buildLogcap() })
	if binary.err != nil {
		t.Fatalf("build logcap: %v", binary.err)
	}
	return binary.path
}

func buildLogcap() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := binaryDir()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "logcap")

	cmd := exec.Command("go", "build", "-o", out, "./cmd/logcap")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{err: err, output: strings.TrimSpace(string(msg))}
	}
	return out, nil
}

// binaryDir makes <tmp>/logcap-enginetest/<pid>, after removing the
// directories there of processes that have ended.
func binaryDir() (string, error) {
	parent := filepath.Join(os.TempDir(), "logcap-enginetest")
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	removeStale(parent)
	dir := filepath.Join(parent, strconv.Itoa(os.Getpid()))
	return dir, os.MkdirAll(dir, 0o755)
}

// removeStale removes the subdirectories of parent named for a pid that
// no longer runs. It needs /proc, so it does nothing where there is none.
func removeStale(parent string) {
	if _, err := os.Stat("/proc/self"); err != nil {
		return
	}
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(filepath.Join("/proc", e.Name())); os.IsNotExist(err) {
			_ = os.RemoveAll(filepath.Join(parent, strconv.Itoa(pid)))
		}
	}
}

type buildError struct {
	err    error
	output string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.output }
func (e *buildError) Unwrap() error { return e.err }

// moduleRoot asks the go command where go.mod is.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", os.ErrNotExist
	}
	return filepath.Dir(gomod), nil
}

// Image returns the emitter image for LogcapBinary, building it if needed.
func Image(t testing.TB) string {
	t.Helper()
	cli := Client(t)
	ref, err := engine.EnsureImage(context.Background(), cli, LogcapBinary(t))
	if err != nil {
		t.Fatalf("emitter image: %v", err)
	}
	return ref
}

// Cleanup registers, with t.Cleanup, the forced removal of every container
// carrying logcap's label and runID.
func Cleanup(t testing.TB, cli *client.Client, runID string) {
	t.Helper()
	if runID == "" {
		t.Fatal("enginetest.Cleanup: empty run id")
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := RemoveRun(ctx, cli, runID); err != nil {
			t.Errorf("cleanup of run %s: %v", runID, err)
		}
	})
}

// RemoveRun force-removes every container carrying logcap's label and
// runID, a few at a time, and returns the failures joined.
func RemoveRun(ctx context.Context, cli *client.Client, runID string) error {
	f := filters.NewArgs(
		filters.Arg("label", engine.LabelManaged+"=true"),
		filters.Arg("label", engine.LabelRun+"="+runID),
	)
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return err
	}

	// Workers are owned by this call and joined before it returns.
	errs := make([]error, len(list))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, c := range list {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
			if err != nil && !client.IsErrNotFound(err) {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
