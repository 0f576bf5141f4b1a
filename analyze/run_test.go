package analyze

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAppendAndReadRun(t *testing.T) {
	dir := t.TempDir()
	run := synth(4, func(m int) float64 { return 100 })
	run.Info.StartedAt = t0
	if err := WriteRunInfo(dir, run.Info); err != nil {
		t.Fatal(err)
	}
	for _, cp := range run.Checkpoints {
		if err := AppendCheckpoint(filepath.Join(dir, CheckpointsFile), cp); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadRun(dir)
	if err != nil {
		t.Fatalf("ReadRun: %v", err)
	}
	if !reflect.DeepEqual(got.Checkpoints, run.Checkpoints) || got.Info.RunID != "test" {
		t.Errorf("read back a different run")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("dir holds %d files, want run.json and checkpoints.jsonl only", len(entries))
	}
}

func TestReadCheckpoints(t *testing.T) {
	good := `{"index":0,"elapsed_seconds":60,"metrics":{}}` + "\n" +
		`{"index":1,"elapsed_seconds":120,"metrics":{}}` + "\n"
	tests := []struct {
		name    string
		in      string
		n       int
		torn    bool
		wantErr string
	}{
		{"good", good, 2, false, ""},
		{"blank lines", "\n" + good + "\n\n", 2, false, ""},
		{"torn last line", good + `{"index":2,"elap`, 2, true, ""},
		{"bad middle line", `{"index":0}` + "\nnot json\n" + good, 0, false, "line 2"},
		{"index goes back", good + `{"index":1,"elapsed_seconds":180}` + "\n", 0, false,
			"line 3"},
		{"time goes back", good + `{"index":2,"elapsed_seconds":100}` + "\n", 0, false,
			"line 3"},
		{"negative elapsed", `{"index":0,"elapsed_seconds":-1}` + "\n", 0, false, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cps, torn, err := ReadCheckpoints(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(cps) != tt.n || torn != tt.torn {
				t.Errorf("got %d checkpoints, torn %v, err %v; want %d, %v",
					len(cps), torn, err, tt.n, tt.torn)
			}
		})
	}
}

func TestReadRunErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadRun(dir); err == nil || !strings.Contains(err.Error(), "run info") {
		t.Errorf("err = %v, want one about run info", err)
	}
	if err := WriteRunInfo(dir, RunInfo{RunID: "x"}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, CheckpointsFile), nil, 0o644)
	if _, err := ReadRun(dir); !errors.Is(err, ErrNoCheckpoints) {
		t.Errorf("err = %v, want ErrNoCheckpoints", err)
	}
}

// runDir writes run into a temporary directory with the stored profiles at
// every checkpoint (baseline first, final after) and the stored dump, its
// parked goroutines made to wait 12 minutes, at the final checkpoint.
func runDir(t *testing.T, run Run) Run {
	t.Helper()
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "pprof"), 0o755)
	base, _ := os.ReadFile(filepath.Join("testdata", "base.pb.gz"))
	final, _ := os.ReadFile(filepath.Join("testdata", "final.pb.gz"))
	dump, _ := os.ReadFile(filepath.Join("testdata", "final.txt"))
	dump = []byte(strings.ReplaceAll(string(dump), "[chan receive]:",
		"[chan receive, 12 minutes]:"))
	last := len(run.Checkpoints) - 1
	for i := range run.Checkpoints {
		cp := &run.Checkpoints[i]
		cp.Profile = filepath.Join("pprof", "00"+string(rune('0'+i%10))+".pb.gz")
		data := final
		if i == 0 {
			data = base
		}
		os.WriteFile(filepath.Join(dir, cp.Profile), data, 0o644)
	}
	run.Checkpoints[last].Dump = "pprof/final.txt"
	os.WriteFile(filepath.Join(dir, "pprof", "final.txt"), dump, 0o644)
	run.Dir = dir
	return run
}

func TestScoreNamesGrowingStacks(t *testing.T) {
	run := runDir(t, synth(6, func(m int) float64 { return 100 }))
	res, err := Score(run, DefaultCriteria())
	if err != nil {
		t.Fatal(err)
	}
	s, ok := findStack(res.Stacks, parkFunc)
	if !ok {
		t.Fatalf("stacks %+v lack %s", res.Stacks, parkFunc)
	}
	if want := []int64{0, 7, 7, 7, 7, 7}; !reflect.DeepEqual(s.Counts, want) {
		t.Errorf("counts = %v, want %v", s.Counts, want)
	}
	if res.BaseProfile != "pprof/000.pb.gz" || res.FinalProfile != "pprof/005.pb.gz" {
		t.Errorf("profiles %s and %s", res.BaseProfile, res.FinalProfile)
	}
	found := false
	for _, b := range res.Blocked {
		if b.Function == parkFunc && b.Count == 7 && b.WaitReason == "chan receive" {
			found = true
		}
	}
	if !found {
		t.Errorf("blocked %+v lack 7 goroutines in %s", res.Blocked, parkFunc)
	}
}

// edit changes metric name at checkpoints from..to-1 of run.
func edit(run Run, from, to int, name string, s []Sample) Run {
	for i := from; i < to && i < len(run.Checkpoints); i++ {
		m := run.Checkpoints[i].Metrics
		if s == nil {
			delete(m, name)
		} else {
			m[name] = s
		}
	}
	return run
}

// running records n containers running at checkpoints from..to-1, as the
// soak does under churn.
func running(run Run, from, to, n int) Run {
	for i := from; i < to && i < len(run.Checkpoints); i++ {
		run.Checkpoints[i].Running = &n
	}
	return run
}

func flat(int) float64 { return 100 }

func TestScoreCriteria(t *testing.T) {
	stream := func(v string) map[string]string { return map[string]string{"stream": v} }
	tests := []struct {
		name    string
		run     Run
		crit    string // criterion to look at
		verdict Verdict
		reason  string
	}{
		{"healthy", synth(31, flat), CritHealth, Pass, ""},
		{"sink unhealthy once", edit(synth(31, flat), 9, 10, "logcap_component_healthy",
			health(1, 0, 1)), CritHealth, Fail, `component="sink" at 9`},
		{"frozen capturer", edit(synth(31, flat), 10, 31, "logcap_lines_total",
			[]Sample{{Value: 6000}}), CritLiveness, Fail, "frozen"},
		{"froze at the very end", edit(synth(31, flat), 30, 31, "logcap_lines_total",
			[]Sample{{Value: 15500}}), CritLiveness, Inconclusive, "last two"},
		{"labelled counter appears late", edit(edit(synth(31, flat), 5, 31,
			"logcap_lines_total", nil), 5, 31, "logcap_lines_total",
			nil), CritLiveness, Fail, "frozen"},
		{"pool short once", edit(synth(31, flat), 7, 8, "logcap_streams_active",
			[]Sample{{Value: 9}}), CritPool, Pass, ""},
		{"pool short twice in a row", edit(synth(31, flat), 7, 9, "logcap_streams_active",
			[]Sample{{Value: 9}}), CritPool, Fail, "7, 8"},
		{"pool short at the end", edit(synth(31, flat), 30, 31, "logcap_streams_active",
			[]Sample{{Value: 9}}), CritPool, Fail, "30"},
		{"churn: 9 running, 9 active", running(edit(synth(31, flat), 7, 9,
			"logcap_streams_active", []Sample{{Value: 9}}), 7, 9, 9), CritPool, Pass, ""},
		{"every container gone, no stream", running(edit(synth(31, flat), 7, 31,
			"logcap_streams_active", []Sample{{Value: 0}}), 7, 31, 0), CritPool, Pass, ""},
		{"churn: 10 running, 9 active", running(edit(synth(31, flat), 7, 9,
			"logcap_streams_active", []Sample{{Value: 9}}), 7, 9, 10), CritPool, Fail, "7, 8"},
		{"no rotation", edit(synth(31, flat), 0, 31, "logcap_rotations_total",
			[]Sample{{Value: 0}}), CritRotations, Fail, "no rotation"},
		{"no rotation in a short run", edit(synth(4, flat), 0, 4, "logcap_rotations_total",
			[]Sample{{Value: 0}}), CritRotations, Inconclusive, "no rotation yet"},
		{"rotations stopped", edit(synth(31, flat), 15, 31, "logcap_rotations_total",
			[]Sample{{Value: 30}}), CritRotations, Fail, "no rotation since"},
		{"fds grew 100", edit(synth(31, flat), 30, 31, "process_open_fds",
			[]Sample{{Value: 140}}), CritFDs, Fail, "grew by 100"},
		{"fds grew 99", edit(synth(31, flat), 30, 31, "process_open_fds",
			[]Sample{{Value: 139}}), CritFDs, Pass, ""},
	}
	// A labelled counter that first appears late counts 0 before: lines by
	// stream, stderr appearing at checkpoint 20 and rising after.
	late := synth(31, flat)
	for i := range late.Checkpoints {
		s := []Sample{{Labels: stream("stdout"), Value: float64(1000 + 100*i)}}
		if i >= 20 {
			s = append(s, Sample{Labels: stream("stderr"), Value: float64(5 * (i - 19))})
		}
		late.Checkpoints[i].Metrics["logcap_lines_total"] = s
	}
	tests[4] = struct {
		name    string
		run     Run
		crit    string
		verdict Verdict
		reason  string
	}{"labelled counter appears late", late, CritLiveness, Pass, ""}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Score(tt.run, DefaultCriteria())
			if err != nil {
				t.Fatal(err)
			}
			cr := criterion(res, tt.crit)
			if cr.Verdict != tt.verdict || !strings.Contains(cr.Reason, tt.reason) {
				t.Errorf("%s = %s (%q), want %s (%q)", tt.crit, cr.Verdict, cr.Reason,
					tt.verdict, tt.reason)
			}
			if tt.verdict == Fail && res.Verdict != Fail {
				t.Errorf("run verdict = %s, want FAIL", res.Verdict)
			}
		})
	}
}

func criterion(res Result, name string) CriterionResult {
	if name == CritLiveness {
		return res.Liveness
	}
	for _, c := range res.Criteria {
		if c.Name == name {
			return c
		}
	}
	return CriterionResult{}
}

func TestScoreDisabledCriteria(t *testing.T) {
	run := synth(31, flat)
	for i := range run.Checkpoints {
		m := run.Checkpoints[i].Metrics
		for _, k := range []string{"logcap_streams_active", "logcap_stream_pool_capacity",
			"logcap_rotations_total", "logcap_lines_total", "logcap_component_healthy"} {
			delete(m, k)
		}
	}
	c := DefaultCriteria()
	c.Disabled = []string{CritPool, CritRotations, CritLiveness, CritHealth}
	res, err := Score(run, c)
	if err != nil || res.Verdict != Pass {
		t.Fatalf("verdict %s, err %v; want PASS for a generic Go service", res.Verdict, err)
	}
	if got := criterion(res, CritPool).Verdict; got != Skipped {
		t.Errorf("pool = %s, want SKIPPED", got)
	}
}

func TestScoreRestart(t *testing.T) {
	run := synth(31, func(m int) float64 { return 100 + float64(m) })
	edit(run, 15, 31, "process_start_time_seconds", []Sample{{Value: 1.7e9 + 900}})
	for i := 15; i < 31; i++ {
		run.Checkpoints[i].Metrics["go_goroutines"] = []Sample{{Value: 50}}
		run.Checkpoints[i].Metrics["logcap_lines_total"] = []Sample{{Value: float64(i * 10)}}
	}
	res, err := Score(run, DefaultCriteria())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Restarts) != 1 || res.Restarts[0].Index != 15 {
		t.Fatalf("restarts = %+v, want one at checkpoint 15", res.Restarts)
	}
	if res.Verdict == Pass {
		t.Errorf("verdict PASS despite a restart")
	}
	if g := res.Growth.Goroutines; g.Baseline != 50 || g.Delta != 0 {
		t.Errorf("growth %+v, want it measured from the restart", *g)
	}
	if res.Liveness.Verdict != Pass {
		t.Errorf("liveness = %s (%s): counter reset not undone", res.Liveness.Verdict,
			res.Liveness.Reason)
	}
}

func TestScoreCompleteness(t *testing.T) {
	run := synth(31, flat)
	run.Info.Completeness = &Completeness{Containers: []ContainerLines{
		{Name: "a", Emitted: 100, Captured: 100, FinalSeen: true},
		{Name: "b", Emitted: 100, Captured: 98, Lost: 2, FinalSeen: true},
	}}
	res, err := Score(run, DefaultCriteria())
	if err != nil {
		t.Fatal(err)
	}
	if res.Completeness == nil || res.Completeness.Verdict != Fail ||
		res.Completeness.Lost != 2 || res.Verdict != Fail {
		t.Errorf("completeness %+v, verdict %s; want FAIL with 2 lost",
			res.Completeness, res.Verdict)
	}
}

// run.json's capturer binary comes back as the soak's note, so a re-score
// by `logcap analyze RUN_DIR` keeps it.
func TestScoreNotesTheCapturerBinary(t *testing.T) {
	run := synth(31, flat)
	run.Info.CapturerBinary, run.Info.CapturerSHA256 = "/opt/cap/logcap", "ab12"
	res, err := Score(run, DefaultCriteria())
	if err != nil {
		t.Fatal(err)
	}
	want := "capturer measured: /opt/cap/logcap (sha256 ab12)"
	if !slices.Contains(res.Notes, want) {
		t.Errorf("notes = %q, want %q", res.Notes, want)
	}
}

func TestScoreArithmetic(t *testing.T) {
	run := synth(61, func(m int) float64 { return 100 + 5*float64(m) })
	for i := range run.Checkpoints {
		run.Checkpoints[i].Metrics["process_open_fds"] = []Sample{{Value: float64(40 + i)}}
	}
	c := DefaultCriteria()
	c.MemoryLimit = 60e6
	res, err := Score(run, c)
	if err != nil {
		t.Fatal(err)
	}
	ps := res.PerStream
	if ps.LeakedGoroutines != 300 || *ps.PerStream != 30 || *ps.PerRotation != 2.5 ||
		*ps.PerNewFD != 5 {
		t.Errorf("per stream %+v", ps)
	}
	p := res.Projections
	if p.GoroutinesPerHour != 300 || p.FDsPerHour != 60 || p.MaxFDs != 1024 {
		t.Errorf("projections %+v", p)
	}
	// 1024 - 100 fds at 1 per minute.
	if p.TimeToMaxFDs == nil || *p.TimeToMaxFDs != 924*time.Minute {
		t.Errorf("time to max fds = %v, want 15h24m", p.TimeToMaxFDs)
	}
	if p.TimeToMemoryLimit != nil {
		t.Errorf("memory is flat, yet time to limit %v", *p.TimeToMemoryLimit)
	}
}

// A soak in miniature: three more goroutines park at every checkpoint, and
// the real profiles taken then must show the stack growing 0, 3, 6, 9, 12.
func TestScoreRealProfilesOverCheckpoints(t *testing.T) {
	run := synth(5, func(m int) float64 { return 100 + 3*float64(m) })
	run.Dir = t.TempDir()
	os.Mkdir(filepath.Join(run.Dir, "pprof"), 0o755)
	var groups []*parked
	defer func() {
		for _, p := range groups {
			p.stop()
		}
	}()
	for i := range run.Checkpoints {
		if i > 0 {
			p := park(3)
			groups = append(groups, p)
			waitParked(t, 3*i, p.site)
		}
		cp := &run.Checkpoints[i]
		cp.Profile = filepath.Join("pprof", strconv.Itoa(i)+".pb.gz")
		os.WriteFile(filepath.Join(run.Dir, cp.Profile), goroutineProfile(t, 0), 0o644)
	}
	res, err := Score(run, DefaultCriteria())
	if err != nil {
		t.Fatal(err)
	}
	s, ok := findStack(res.Stacks, parkFunc)
	if !ok {
		t.Fatalf("no growing stack in %s: %+v", parkFunc, res.Stacks)
	}
	if want := []int64{0, 3, 6, 9, 12}; !reflect.DeepEqual(s.Counts, want) || s.Delta != 12 {
		t.Errorf("counts %v, delta %d; want %v, 12", s.Counts, s.Delta, want)
	}
	if res.Stacks[0].Function != parkFunc {
		t.Errorf("top stack is %s, want %s", res.Stacks[0].Function, parkFunc)
	}
}
