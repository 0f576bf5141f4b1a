package engine_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/logcap/logcap/internal/engine"
	"github.com/logcap/logcap/internal/engine/enginetest"
)

func TestEnsureImageBuildsAndReuses(t *testing.T) {
	cli := enginetest.Client(t)
	ctx := context.Background()
	bin := enginetest.LogcapBinary(t)

	ref, err := engine.EnsureImage(ctx, cli, bin)
	if err != nil {
		t.Fatalf("EnsureImage: %v", err)
	}
	if !strings.HasPrefix(ref, engine.ImageRepo+":") || len(ref) != len(engine.ImageRepo)+13 {
		t.Errorf("ref = %q, want %s:<12 hex>", ref, engine.ImageRepo)
	}
	img, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatalf("inspect %s: %v", ref, err)
	}
	if got := img.Config.Labels[engine.LabelManaged]; got != "true" {
		t.Errorf("label %s = %q, want true", engine.LabelManaged, got)
	}
	if got := strings.Join(img.Config.Entrypoint, " "); got != "/logcap emit" {
		t.Errorf("entrypoint = %q, want /logcap emit", got)
	}

	again, err := engine.EnsureImage(ctx, cli, bin)
	if err != nil || again != ref {
		t.Errorf("second EnsureImage = %q, %v; want %q, nil", again, err, ref)
	}
}

func TestEnsureImageRejectsDynamicBinary(t *testing.T) {
	dyn := dynamicBinary(t)
	_, err := engine.EnsureImage(context.Background(), nil, dyn)
	if !errors.Is(err, engine.ErrDynamicBinary) {
		t.Fatalf("EnsureImage(%s) error = %v, want ErrDynamicBinary", dyn, err)
	}
	if !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Errorf("error %q does not say CGO_ENABLED=0", err)
	}
}

func TestEnsureImageRejectsNonELF(t *testing.T) {
	path := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := engine.EnsureImage(context.Background(), nil, path)
	if err == nil || !strings.Contains(err.Error(), "not an ELF") {
		t.Fatalf("EnsureImage(script) error = %v, want 'not an ELF'", err)
	}
}

// dynamicBinary returns a dynamically linked executable from the host.
func dynamicBinary(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"sh", "ls", "cat"} {
		if p, err := exec.LookPath(name); err == nil {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				return real
			}
		}
	}
	t.Skip("no dynamically linked host binary found")
	return ""
}

// TestBuildImageRuns builds a fresh image from scratch under a tag of its
// own (so nothing is reused and nothing could be pulled), runs it, and
// reads the emitter's lines back.
func TestBuildImageRuns(t *testing.T) {
	cli := enginetest.Client(t)
	ctx := context.Background()
	run := engine.NewRunID()
	ref := "logcap-emit-test:" + run
	labels := map[string]string{engine.LabelManaged: "true", engine.LabelRun: run}

	if err := engine.BuildImage(ctx, cli, enginetest.LogcapBinary(t), ref, labels); err != nil {
		t.Fatalf("BuildImage: %v", err)
	}
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true})
	})
	enginetest.Cleanup(t, cli, run)

	got := runToExit(t, cli, ref, labels, "--name", "b", "--count", "3", "--line-bytes", "0")
	if want := "b seq=1 x\nb seq=2 x\nb seq=3 x\n"; got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}

// runToExit runs a container of ref with args, waits for it to exit and
// returns its stdout.
func runToExit(t *testing.T, cli *client.Client, ref string, labels map[string]string,
	args ...string) string {
	t.Helper()
	ctx := context.Background()
	resp, err := cli.ContainerCreate(ctx, &container.Config{Image: ref, Cmd: args, Labels: labels},
		&container.HostConfig{NetworkMode: "none"}, nil, nil, "")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	waitC, errC := cli.ContainerWait(ctx, resp.ID, container.WaitConditionNextExit)
	if err := cli.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		t.Fatalf("start: %v", err)
	}
	select {
	case w := <-waitC:
		if w.StatusCode != 0 {
			t.Fatalf("container exited with %d", w.StatusCode)
		}
	case err := <-errC:
		t.Fatalf("wait: %v", err)
	}

	rc, err := cli.ContainerLogs(ctx, resp.ID, container.LogsOptions{ShowStdout: true})
	if err != nil {
		t.Fatalf("logs: %v", err)
	}
	defer rc.Close()
	var out strings.Builder
	if _, err := stdcopy.StdCopy(&out, io.Discard, rc); err != nil {
		t.Fatalf("read logs: %v", err)
	}
	return out.String()
}
