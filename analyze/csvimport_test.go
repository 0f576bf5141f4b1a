package analyze

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseCSV(t *testing.T) {
	in := "Elapsed, Goroutines, open-fds, active streams, pool_capacity, Lines, healthy\n" +
		"# comment\n" +
		"0,100,40,10,50,0,1\n" +
		"1m,101,40,10,50,500,true\n" +
		"120.5,102,41,,50,1000,0\n"
	run, err := ParseCSV(strings.NewReader(in), "t.csv", t0, DefaultCriteria().Metrics)
	if err != nil {
		t.Fatalf("ParseCSV: %v", err)
	}
	if len(run.Checkpoints) != 3 {
		t.Fatalf("%d checkpoints, want 3", len(run.Checkpoints))
	}
	cp := run.Checkpoints[2]
	if cp.Elapsed != 120.5 || cp.Metrics["go_goroutines"][0].Value != 102 ||
		cp.Metrics["logcap_component_healthy"][0].Value != 0 {
		t.Errorf("checkpoint 2 = %+v", cp)
	}
	if _, ok := cp.Metrics["logcap_streams_active"]; ok {
		t.Errorf("an empty cell became a value")
	}
	if got := run.Info.Flags["disable"]; got != "rotations" {
		t.Errorf("disabled = %q, want rotations", got)
	}
}

func TestParseCSVByteOrderMark(t *testing.T) {
	in := "\ufeffelapsed,goroutines,fds\n0,1,1\n"
	if _, err := ParseCSV(strings.NewReader(in), "t.csv", t0, DefaultCriteria().Metrics); err != nil {
		t.Errorf("ParseCSV: %v", err)
	}
}

func TestParseCSVErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "header"},
		{"no rows", "elapsed,goroutines,fds\n", "no data row"},
		{"unknown column", "elapsed,goroutines,fds,gorutines\n", `unknown column "gorutines"`},
		{"missing column", "elapsed,goroutines\n0,1\n", `missing column "fds"`},
		{"twice", "elapsed,goroutines,fds,open_fds\n", "given twice"},
		{"not a number", "elapsed,goroutines,fds\n0,abc,1\n", "line 2: column goroutines"},
		{"negative", "elapsed,goroutines,fds\n0,-1,1\n", "line 2"},
		{"huge", "elapsed,goroutines,fds\n0,1e300,1\n", "from 0 to 1e18"},
		{"bad elapsed", "elapsed,goroutines,fds\nsoon,1,1\n", "column elapsed"},
		{"elapsed repeats", "elapsed,goroutines,fds\n0,1,1\n0,1,1\n", "line 3: elapsed"},
		{"health not 0/1", "elapsed,goroutines,fds,healthy\n0,1,1,2\n", "want 1 or 0"},
		{"short row", "elapsed,goroutines,fds\n0,1\n", "wrong number of fields"},
		{"empty required", "elapsed,goroutines,fds\n0,,1\n", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCSV(strings.NewReader(tt.in), "t.csv", t0, DefaultCriteria().Metrics)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("err is not one line: %q", err)
			}
		})
	}
}

func TestImportedRunScores(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("elapsed,goroutines,fds\n")
	for m := range 31 {
		fmt.Fprintf(&b, "%d,%d,30\n", m*60, 100+4*m)
	}
	run, err := ParseCSV(&b, "leak.csv", t0, DefaultCriteria().Metrics)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	if err := WriteNewRun(dir, run); err != nil {
		t.Fatal(err)
	}
	if err := WriteNewRun(dir, run); err == nil {
		t.Errorf("WriteNewRun overwrote a run directory")
	}
	back, err := ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := RunCriteria(DefaultCriteria(), back.Info.Flags, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Score(back, c)
	if err != nil || res.Verdict != Fail {
		t.Errorf("verdict %s, err %v; want FAIL for 4 goroutines a minute", res.Verdict, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
		t.Errorf("temporary directories left behind: %d entries", len(entries))
	}
}
