package main

import (
	"bytes"
	"errors"
	"testing"
)

// runCmd runs the root command with args and returns stdout, stderr and
// the error.
func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errw)
	err := root.Execute()
	return out.String(), errw.String(), err
}

func TestEmitCommandSplitsStreams(t *testing.T) {
	out, errw, err := runCmd(t, "emit", "--name", "t", "--count", "3", "--rate", "1000",
		"--line-bytes", "0", "--stderr-share", "0.5")
	if err != nil {
		t.Fatalf("emit: %v", err)
	}
	if want := "t seq=1 x\nt seq=3 x\n"; out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	if want := "t seq=2 x\n"; errw != want {
		t.Errorf("stderr = %q, want %q", errw, want)
	}
}

func TestEmitCommandBadInput(t *testing.T) {
	tests := [][]string{
		{"emit", "--rate", "0"},
		{"emit", "--stderr-share", "1.5"},
		{"emit", "--long-every", "5", "--long-bytes", "1000"},
		{"emit", "--name", "two words"},
	}
	for _, args := range tests {
		_, _, err := runCmd(t, args...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitHarness {
			t.Errorf("%q: error %v, want exit code %d", args, err, exitHarness)
		}
	}
}
