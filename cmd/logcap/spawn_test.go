package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestSpawnFlagsRejected covers input refused before the engine is asked:
// every case must fail, or it would spawn for real.
func TestSpawnFlagsRejected(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no containers", []string{}, "containers 0"},
		{"zero containers", []string{"--containers", "0"}, "containers 0"},
		{"label without =", []string{"--containers", "1", "--label", "team"}, `label "team"`},
		{"reserved label", []string{"--containers", "1", "--label", "logcap.run=x"}, "logcap's own"},
		{"cmd without image", []string{"--containers", "1", "--cmd", "true"}, "needs an image"},
		{"bad churn", []string{"--containers", "1", "--churn", "often"}, "--churn"},
		{"churn without /min", []string{"--containers", "1", "--churn", "5"}, "like 6/min"},
		{"duration alone", []string{"--containers", "1", "--duration", "1m"}, "go with --churn"},
		{"restart share", []string{"--containers", "1", "--churn", "6/min",
			"--restart-share", "2"}, "restart share"},
		{"bad run id", []string{"--containers", "1", "--run", "No_Good"}, "run id"},
		{"stderr share", []string{"--containers", "1", "--stderr-share", "-1"}, "stderr share"},
		{"images alone", []string{"--images"}, "--images goes with --cleanup"},
		{"cleanup and list", []string{"--cleanup", "--list"}, "do not go together"},
		{"list with rate", []string{"--list", "--rate", "5"}, "--list does not take --rate"},
		{"cleanup with count", []string{"--cleanup", "--containers", "2"}, "--containers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCmd(t, append([]string{"spawn"}, tt.args...)...)
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != exitHarness {
				t.Fatalf("error %v, want exit code %d", err, exitHarness)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParsePerMinute(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"6/min", 6, true},
		{"0.5/min", 0.5, true},
		{"12", 0, false},
		{"5 /min", 0, false},
		{"/min", 0, false},
		{"Inf/min", 0, false},
		{"0/min", 0, false},
		{"-1/min", 0, false},
		{"6/s", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := parsePerMinute(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parsePerMinute(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestProgressPrinterNotTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := progressPrinter(&buf)
	for i := 1; i <= 25; i++ {
		p(i, 25)
	}
	want := "started 2/25\nstarted 4/25\nstarted 6/25\nstarted 8/25\nstarted 10/25\n" +
		"started 12/25\nstarted 14/25\nstarted 16/25\nstarted 18/25\nstarted 20/25\n" +
		"started 22/25\nstarted 24/25\nstarted 25/25\n"
	if got := buf.String(); got != want {
		t.Errorf("progress =\n%s\nwant\n%s", got, want)
	}
}

func TestPrintRemoved(t *testing.T) {
	tests := []struct {
		name             string
		runID            string
		removed          []string
		json             bool
		wantOut, wantErr string
	}{
		{"removed", "r1", []string{"a", "b"}, false, "a\nb\n", ""},
		{"nothing of a run", "r1", nil, false, "", "run r1: nothing to remove\n"},
		{"nothing at all", "", nil, false, "", "nothing to remove\n"},
		{"nothing as JSON", "r1", nil, true, "{\n  \"removed\": []\n}\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errw bytes.Buffer
			if err := printRemoved(&out, &errw, tt.runID, tt.removed, tt.json); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.wantOut || errw.String() != tt.wantErr {
				t.Errorf("stdout %q, stderr %q; want %q, %q",
					out.String(), errw.String(), tt.wantOut, tt.wantErr)
			}
		})
	}
}
