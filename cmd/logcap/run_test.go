package main

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunBusyPortWritesNoOutput: a port already in use fails with exit 3
// before the output file is created.
func TestRunBusyPortWritesNoOutput(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	output := filepath.Join(t.TempDir(), "lines.jsonl")

	_, _, err = runCmd(t, "run", "--listen", busy.Addr().String(), "--output", output)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitHarness {
		t.Fatalf("error %v, want exit code %d", err, exitHarness)
	}
	if !strings.Contains(err.Error(), "listen for metrics") {
		t.Errorf("error %q, want it to name the listener", err)
	}
	if _, statErr := os.Stat(output); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("output file exists after the failure: %v", statErr)
	}
}
