package analyze

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const sampleDump = `goroutine 1 [running]:
main.main()
	/src/main.go:10 +0x1d

goroutine 18 [chan receive, 12 minutes]:
github.com/x/y.(*Follower).wait(0xc000012345, {0x1, 0x2})
	/src/y/follower.go:88 +0x45
created by github.com/x/y.Start in goroutine 1
	/src/y/start.go:20 +0x55

goroutine 19 [chan receive, 7 minutes, locked to thread]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
	/go/src/runtime/proc.go:435 +0xce
github.com/x/y.(*Follower).wait(...)
	/src/y/follower.go:88
...additional frames elided...

goroutine 20 [IO wait, 3 minutes]:
net.(*conn).Read(0x1)
	/go/src/net/net.go:194 +0x45

goroutine 21 [select, 1 minute]:
main.loop()
	/src/main.go:30 +0x1d
`

func TestParseDump(t *testing.T) {
	d, err := ParseDump(strings.NewReader(sampleDump))
	if err != nil {
		t.Fatalf("ParseDump: %v", err)
	}
	tests := []struct {
		id     int64
		state  string
		wait   time.Duration
		frames int
		top    string
	}{
		{1, "running", 0, 1, "main.main"},
		{18, "chan receive", 12 * time.Minute, 1, "github.com/x/y.(*Follower).wait"},
		{19, "chan receive", 7 * time.Minute, 2, "runtime.gopark"},
		{20, "IO wait", 3 * time.Minute, 1, "net.(*conn).Read"},
		{21, "select", time.Minute, 1, "main.loop"},
	}
	if len(d.Goroutines) != len(tests) {
		t.Fatalf("got %d goroutines, want %d", len(d.Goroutines), len(tests))
	}
	for i, tt := range tests {
		g := d.Goroutines[i]
		if g.ID != tt.id || g.State != tt.state || g.Wait != tt.wait ||
			len(g.Frames) != tt.frames || g.Frames[0].Function != tt.top {
			t.Errorf("goroutine %d = %+v, want %+v", i, g, tt)
		}
	}
	if c := d.Goroutines[1].CreatedBy; c == nil || c.Function != "github.com/x/y.Start" {
		t.Errorf("created by = %+v, want github.com/x/y.Start", c)
	}
}

func TestParseDumpErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "no goroutine"},
		{"no header", "main.main()\n\t/a.go:1\n", "line 1"},
		{"file without function", "goroutine 1 [running]:\n\t/a.go:1 +0x1\n", "line 2"},
		{"function without file", "goroutine 1 [running]:\nmain.f()\n\n", "no file line"},
		{"bad file line", "goroutine 1 [running]:\nmain.f()\n\tnofileline\n", "line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDump(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestBlockedGroups(t *testing.T) {
	d, err := ParseDump(strings.NewReader(sampleDump))
	if err != nil {
		t.Fatal(err)
	}
	got := BlockedGroups(&d, d, 5*time.Minute)
	if len(got) != 1 {
		t.Fatalf("got %d groups, want 1: %+v", len(got), got)
	}
	g := got[0]
	if g.WaitReason != "chan receive" || g.Count != 2 || g.MaxMinutes != 12 ||
		g.Location != "/src/y/follower.go:88" || g.Baseline != 2 {
		t.Errorf("group = %+v, want chan receive x2 at /src/y/follower.go:88, 12 min", g)
	}
}

func TestStoredDumpParses(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "final.txt"))
	if err != nil {
		t.Fatal(err)
	}
	d := mustDump(t, data)
	n := 0
	for _, g := range d.Goroutines {
		if fn, _ := namingFrame(g.Frames); fn == parkFunc && g.State == "chan receive" {
			n++
		}
	}
	if n != 7 {
		t.Errorf("%d goroutines parked in parkHere, want 7", n)
	}
}
