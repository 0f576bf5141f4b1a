package engine_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
