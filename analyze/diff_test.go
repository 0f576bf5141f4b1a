package analyze

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// waitParked waits until n goroutines block at the site, since a goroutine
// that has told where it will park may not be parked yet.
func waitParked(t testing.TB, n int, at site) {
	t.Helper()
	loc := at.file + ":" + strconv.Itoa(at.line)
	for range 500 {
		counts := stackCounts(parseProfile(t, goroutineProfile(t, 0)))
		var got int64
		for _, sc := range counts {
			if fn, l := namingFrame(sc.frames); fn == parkFunc && l == loc {
				got += sc.count
			}
		}
		if got == int64(n) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("%d goroutines never parked at %s", n, loc)
}

// goroutineProfile takes the current goroutine profile at debug level.
func goroutineProfile(t testing.TB, debug int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, debug); err != nil {
		t.Fatalf("goroutine profile: %v", err)
	}
	return buf.Bytes()
}

func parseProfile(t testing.TB, data []byte) *profile.Profile {
	t.Helper()
	p, err := profile.ParseData(data)
	if err != nil {
		t.Fatalf("parse profile: %v", err)
	}
	return p
}

// findStack returns the stack named by function fn.
func findStack(stacks []StackGrowth, fn string) (StackGrowth, bool) {
	for _, s := range stacks {
		if s.Function == fn {
			return s, true
		}
	}
	return StackGrowth{}, false
}

const parkFunc = "github.com/logcap/logcap/analyze.parkHere"

func TestDiffProfilesNamesTheParkedLine(t *testing.T) {
	const n = 7
	base := goroutineProfile(t, 0)
	p := park(n)
	waitParked(t, n, p.site)
	final := goroutineProfile(t, 0)
	dump := goroutineProfile(t, 2)
	p.stop()

	tests := []struct {
		name        string
		base, final *profile.Profile
	}{
		{"debug=0 profiles", parseProfile(t, base), parseProfile(t, final)},
		{"debug=0 base, debug=2 final", parseProfile(t, base), mustDump(t, dump).Profile()},
	}
	want := site{p.site.file, p.site.line}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := findStack(DiffProfiles(tt.base, tt.final), parkFunc)
			if !ok {
				t.Fatalf("no growing stack in %s", parkFunc)
			}
			if got.Delta != n || got.Base != 0 || got.Final != n {
				t.Errorf("base %d final %d delta %d, want 0 %d %d", got.Base, got.Final,
					got.Delta, n, n)
			}
			wantLoc := want.file + ":" + strconv.Itoa(want.line)
			if got.Location != wantLoc {
				t.Errorf("location = %s, want %s", got.Location, wantLoc)
			}
		})
	}
	if *update {
		writeTestdata(t, "base.pb.gz", base)
		writeTestdata(t, "final.pb.gz", final)
		writeTestdata(t, "final.txt", dump)
	}
}

func mustDump(t testing.TB, data []byte) Dump {
	t.Helper()
	d, err := ParseDump(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ParseDump: %v", err)
	}
	return d
}

func writeTestdata(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join("testdata", name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The profiles in testdata were taken by the test above with -update: seven
// goroutines parked in parkHere.
func TestDiffStoredProfiles(t *testing.T) {
	tests := []struct {
		name, base, final string
	}{
		{"debug=0 to debug=0", "base.pb.gz", "final.pb.gz"},
		{"debug=0 to debug=2", "base.pb.gz", "final.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, err := ReadGoroutines(filepath.Join("testdata", tt.base))
			if err != nil {
				t.Fatal(err)
			}
			final, err := ReadGoroutines(filepath.Join("testdata", tt.final))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := findStack(DiffProfiles(base, final), parkFunc)
			if !ok {
				t.Fatalf("no growing stack in %s", parkFunc)
			}
			if got.Delta != 7 || !strings.HasSuffix(got.Location, "analyze/park_test.go:21") {
				t.Errorf("got %s +%d, want analyze/park_test.go:21 +7", got.Location, got.Delta)
			}
		})
	}
}

// A profile and a dump of the same goroutines group alike, although the
// profile carries the runtime frames the dump hides.
func TestProfileAndDumpOfTheSameMoment(t *testing.T) {
	prof, err := ReadGoroutines(filepath.Join("testdata", "final.pb.gz"))
	if err != nil {
		t.Fatal(err)
	}
	dump, err := ReadGoroutines(filepath.Join("testdata", "final.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]*profile.Profile{{prof, dump}, {dump, prof}} {
		if s, ok := findStack(DiffProfiles(pair[0], pair[1]), parkFunc); ok {
			t.Errorf("parked stack grew by %d between two views of one moment", s.Delta)
		}
	}
}

func TestHiddenRuntime(t *testing.T) {
	tests := map[string]bool{
		"runtime.gopark": true, "runtime.(*mheap).alloc": true, "runtime._System": true,
		"runtime.Gosched": false, "runtime/pprof.writeGoroutine": false,
		"main.runtime": false, "runtime.": false,
	}
	for fn, want := range tests {
		if got := hiddenRuntime(fn); got != want {
			t.Errorf("hiddenRuntime(%q) = %v, want %v", fn, got, want)
		}
	}
}

func TestReadGoroutinesRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, data, want string
	}{
		{"debug=1", "goroutine profile: total 3\n1 @ 0x1\n", "debug=1"},
		{"text", "hello\n", "not a goroutine profile"},
		{"empty", "", "not a goroutine profile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			if err := os.WriteFile(path, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadGoroutines(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("err is not one line: %q", err)
			}
		})
	}
}

func TestDiffLeavesOutAStacklessGoroutine(t *testing.T) {
	// A goroutine caught while it starts or exits has a sample with no
	// location at all; it names no code, so it is no growing stack.
	st := []*profile.ValueType{{Type: "goroutine", Unit: "count"}}
	base := &profile.Profile{SampleType: st}
	fn := &profile.Function{ID: 1, Name: "main.leak", Filename: "main.go"}
	loc := &profile.Location{ID: 1, Line: []profile.Line{{Function: fn, Line: 7}}}
	final := &profile.Profile{SampleType: st, Function: []*profile.Function{fn},
		Location: []*profile.Location{loc},
		Sample: []*profile.Sample{{Value: []int64{1}},
			{Value: []int64{2}, Location: []*profile.Location{loc}}}}

	got := DiffProfiles(base, final)
	if len(got) != 1 || got[0].Function != "main.leak" || got[0].Delta != 2 {
		t.Errorf("got %+v, want only main.leak +2", got)
	}

	onlyStackless := &profile.Profile{SampleType: st,
		Sample: []*profile.Sample{{Value: []int64{1}}}}
	if got := DiffProfiles(base, onlyStackless); len(got) != 0 {
		t.Errorf("got %+v, want no growing stack", got)
	}
}

func TestNamingFrame(t *testing.T) {
	fr := func(fn string) Frame { return Frame{Function: fn, File: fn + ".go", Line: 1} }
	tests := []struct {
		name   string
		frames []Frame
		want   string
	}{
		{"leaked read names the closure that leaked it", []Frame{
			fr("sync.(*Cond).Wait"), fr("io.(*pipe).read"),
			fr("io.(*PipeReader).Read"), fr("main.(*follower).rotate.func1"),
		}, "main.(*follower).rotate.func1"},
		{"own module beats a wrapping dependency", []Frame{
			fr("net.(*netFD).Read"), fr("go.opentelemetry.io/otelhttp.(*wrappedBody).Read"),
			fr("bufio.(*Reader).Read"), fr("github.com/logcap/logcap/capturer.(*frameReader).next"),
			fr("github.com/logcap/logcap/capturer.(*Capturer).followLoop"),
		}, "github.com/logcap/logcap/capturer.(*frameReader).next"},
		{"standard library goroutine names its first non-runtime frame", []Frame{
			fr("runtime.selectgo"), fr("net/http.(*persistConn).readLoop"),
		}, "net/http.(*persistConn).readLoop"},
		{"all runtime names the innermost", []Frame{fr("runtime.gopark")}, "runtime.gopark"},
		{"no frames", nil, noStack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := namingFrame(tt.frames); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDiffLeavesOutGoroutinesThatOnlyChangedCaller(t *testing.T) {
	// Five waiters queued from follow at the baseline and from yield at
	// the end: two stacks, one site, no growth.
	site := Frame{Function: "github.com/x/y.(*pool).acquire", File: "pool.go", Line: 56}
	from := func(caller string, n int64) *stackCount {
		return &stackCount{count: n, frames: []Frame{site, {Function: caller, File: "f.go"}}}
	}
	base := map[string]*stackCount{"a": from("github.com/x/y.follow", 5)}
	final := map[string]*stackCount{"b": from("github.com/x/y.yield", 5),
		"c": {count: 2, frames: []Frame{{Function: "github.com/x/y.leak", File: "l.go"}}}}

	got := diffCounts(base, final)

	if len(got) != 1 || got[0].Function != "github.com/x/y.leak" || got[0].Delta != 2 {
		t.Errorf("got %+v, want only github.com/x/y.leak +2", got)
	}
}
