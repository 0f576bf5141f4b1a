package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// importedRun writes a clean +2/min timeline and imports it into a run
// directory, returned.
func importedRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	csv := filepath.Join(dir, "tl.csv")
	var b strings.Builder
	b.WriteString("elapsed,goroutines,fds,rotations,lines,healthy\n")
	for m := range 8 {
		b.WriteString(strings.Join([]string{itoa(m * 60), itoa(40 + 2*m), "20",
			itoa(5 * m), itoa(600 * m), "1"}, ",") + "\n")
	}
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	if _, _, err := runCmd(t, "analyze", "import", csv, "--out", run); err != nil {
		t.Fatalf("import: %v", err)
	}
	return run
}

func itoa(n int) string { return strconv.Itoa(n) }

// exitCode is the code execute would exit with for err.
func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestAnalyzeDryRunWritesNothing(t *testing.T) {
	for _, flag := range []string{"--dry-run", "--stdout"} {
		t.Run(flag, func(t *testing.T) {
			run := importedRun(t)
			out, _, err := runCmd(t, "analyze", flag, run)
			if code := exitCode(err); code != exitFailed {
				t.Errorf("exit code = %d (%v), want %d: +2/min is not below 2",
					code, err, exitFailed)
			}
			if !strings.HasPrefix(out, "FAIL") {
				t.Errorf("stdout = %q, want the verdict", out)
			}
			for _, f := range []string{"report.md", "summary.json", "chart.svg"} {
				if _, err := os.Stat(filepath.Join(run, f)); !os.IsNotExist(err) {
					t.Errorf("%s written by a dry run (stat: %v)", f, err)
				}
			}
		})
	}
}

// The scoring flags belong to the commands that score, not to diff or
// import.
func TestAnalyzeScoringFlagsAreLocal(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"analyze", "--help"}, true},
		{[]string{"analyze", "compare", "--help"}, true},
		{[]string{"analyze", "diff", "--help"}, false},
		{[]string{"analyze", "import", "--help"}, false},
	}
	for _, tt := range tests {
		out, _, err := runCmd(t, tt.args...)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if got := strings.Contains(out, "--max-goroutine-growth"); got != tt.want {
			t.Errorf("%v lists --max-goroutine-growth: %v, want %v", tt.args, got, tt.want)
		}
	}
	if out, _, _ := runCmd(t, "analyze", "--help"); !strings.Contains(out, "--dry-run") {
		t.Errorf("analyze --help does not document --dry-run")
	}
}
