package engine_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/logcap/logcap/internal/engine"
)

func TestNewRunID(t *testing.T) {
	re := regexp.MustCompile(`^r\d{8}-\d{6}-[0-9a-f]{4}$`)
	a, b := engine.NewRunID(), engine.NewRunID()
	if !re.MatchString(a) {
		t.Errorf("NewRunID() = %q, want match %s", a, re)
	}
	if a == b {
		t.Errorf("two NewRunID calls both gave %q", a)
	}
}

func TestConnectNamesHost(t *testing.T) {
	sock := "unix://" + filepath.Join(t.TempDir(), "no-engine.sock")
	t.Setenv("DOCKER_HOST", sock)

	cli, err := engine.Connect(context.Background())
	if err == nil {
		_ = cli.Close()
		t.Fatal("Connect to a missing socket succeeded")
	}
	want := "docker engine not reachable at " + sock + ": "
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want prefix %q", err, want)
	}
}
