package analyze

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
)

// stackCount is the count of one stack in a profile.
type stackCount struct {
	frames []Frame
	count  int64
}

// stackCounts groups the samples of a goroutine profile by stack: function,
// file and line of every frame, inlined frames included, addresses ignored.
// Each location's frames and key are built once, and a sample's key is the
// concatenation of its locations' keys.
func stackCounts(p *profile.Profile) map[string]*stackCount {
	out := map[string]*stackCount{}
	if p == nil {
		return out
	}
	vi := valueIndex(p)
	locs := map[*profile.Location]locFrames{}
	var buf []byte
	for _, smp := range p.Sample {
		if vi >= len(smp.Value) {
			continue
		}
		buf = buf[:0]
		for _, loc := range smp.Location {
			buf = append(buf, framesOf(locs, loc).key...)
		}
		if sc := out[string(buf)]; sc != nil {
			sc.count += smp.Value[vi]
			continue
		}
		var frames []Frame
		for _, loc := range smp.Location {
			frames = append(frames, framesOf(locs, loc).frames...)
		}
		out[string(buf)] = &stackCount{frames: frames, count: smp.Value[vi]}
	}
	return out
}

// locFrames are the frames of one location and their key.
type locFrames struct {
	frames []Frame
	key    []byte
}

func framesOf(cache map[*profile.Location]locFrames, loc *profile.Location) locFrames {
	if lf, ok := cache[loc]; ok {
		return lf
	}
	frames := locationFrames(loc)
	lf := locFrames{frames: frames, key: appendStackKey(nil, frames)}
	cache[loc] = lf
	return lf
}

// locationFrames lists a location's frames, inlined ones first, leaving out
// the runtime's unexported functions: a debug=2 dump hides them, so a
// profile and a dump of the same goroutines group alike. A location without
// symbols is named by its address: the one case where a rebuild will not
// match.
func locationFrames(loc *profile.Location) []Frame {
	if len(loc.Line) == 0 {
		return []Frame{{Function: fmt.Sprintf("0x%x", loc.Address)}}
	}
	frames := make([]Frame, 0, len(loc.Line))
	for _, ln := range loc.Line {
		f := Frame{Line: ln.Line}
		if ln.Function != nil {
			f.Function, f.File = ln.Function.Name, ln.Function.Filename
		}
		if !hiddenRuntime(f.Function) {
			frames = append(frames, f)
		}
	}
	return frames
}

// hiddenRuntime reports whether a Go traceback hides fn: an unexported
// function or method of package runtime.
func hiddenRuntime(fn string) bool {
	rest, ok := strings.CutPrefix(fn, "runtime.")
	if !ok || rest == "" {
		return false
	}
	c := rest[0]
	return c == '(' || c == '_' || (c >= 'a' && c <= 'z')
}

// appendStackKey appends the identity of a stack: function, file and line
// of each frame.
func appendStackKey(b []byte, frames []Frame) []byte {
	for _, f := range frames {
		b = append(b, f.Function...)
		b = append(b, 0)
		b = append(b, f.File...)
		b = append(b, 0)
		b = strconv.AppendInt(b, f.Line, 10)
		b = append(b, '\n')
	}
	return b
}

// valueIndex is the index of the "goroutine" or "count" sample type, else 0.
func valueIndex(p *profile.Profile) int {
	for i, st := range p.SampleType {
		if st.Type == "goroutine" || st.Type == "goroutines" || st.Unit == "count" {
			return i
		}
	}
	return 0
}

// DiffProfiles returns the goroutine stacks whose count grew from base to
// final, most growth first (ties by function and location). Stacks are
// grouped by function and file:line of every frame, ignoring addresses, so
// profiles of two builds of the same source still match; the runtime's
// unexported frames are left out, as debug=2 dumps leave them out.
func DiffProfiles(base, final *profile.Profile) []StackGrowth {
	return diffCounts(stackCounts(base), stackCounts(final))
}

// siteGrowth is the net growth at each naming site (function and
// file:line), over every stack that names it. Waiters that queued first
// from one caller and later from another move between two stacks; their
// site did not grow, and diffCounts leaves them out.
func siteGrowth(base, final map[string]*stackCount) map[string]int64 {
	net := map[string]int64{}
	for sign, m := range map[int64]map[string]*stackCount{-1: base, 1: final} {
		for _, sc := range m {
			if len(sc.frames) == 0 {
				continue
			}
			fn, loc := namingFrame(sc.frames)
			net[fn+" "+loc] += sign * sc.count
		}
	}
	return net
}

func diffCounts(base, final map[string]*stackCount) []StackGrowth {
	type grown struct {
		key string
		sg  StackGrowth
	}
	net := siteGrowth(base, final)
	var gs []grown
	for k, f := range final {
		var b int64
		if bc := base[k]; bc != nil {
			b = bc.count
		}
		if f.count <= b || len(f.frames) == 0 {
			continue // a stackless sample (a goroutine starting or exiting) says nothing
		}
		fn, loc := namingFrame(f.frames)
		if net[fn+" "+loc] <= 0 {
			continue // the same goroutines, reached by another caller
		}
		gs = append(gs, grown{k, StackGrowth{Function: fn, Location: loc,
			Stack: f.frames, Base: b, Final: f.count, Delta: f.count - b}})
	}
	slices.SortFunc(gs, func(a, b grown) int {
		return cmp.Or(cmp.Compare(b.sg.Delta, a.sg.Delta),
			cmp.Compare(a.sg.Function, b.sg.Function),
			cmp.Compare(a.sg.Location, b.sg.Location), cmp.Compare(a.key, b.key))
	})
	out := make([]StackGrowth, len(gs))
	for i, g := range gs {
		out[i] = g.sg
	}
	return out
}

// namingFrame returns the function and file:line that say what a goroutine
// was doing: the innermost frame of the code that started it (same module
// as its entry function), else the innermost frame outside the standard
// library, else outside the runtime and sync packages, else the innermost.
// A blocked read names the caller that leaked it, not io.(*pipe).read. A
// goroutine caught while it starts or exits can have no stack at all.
func namingFrame(frames []Frame) (string, string) {
	if len(frames) == 0 {
		return noStack, "-"
	}
	own := modulePrefix(frames[len(frames)-1].Function)
	pick := firstFrame(frames, func(fn string) bool {
		return own != "" && strings.HasPrefix(fn, own)
	})
	if pick == nil {
		pick = firstFrame(frames, func(fn string) bool { return !isStdFrame(fn) })
	}
	if pick == nil {
		pick = firstFrame(frames, func(fn string) bool { return !isRuntimeFrame(fn) })
	}
	if pick == nil {
		pick = &frames[0]
	}
	return pick.Function, fmt.Sprintf("%s:%d", pick.File, pick.Line)
}

// noStack names the goroutines a profile recorded without any frame.
const noStack = "(no stack recorded)"

func firstFrame(frames []Frame, keep func(fn string) bool) *Frame {
	for i := range frames {
		if keep(frames[i].Function) {
			return &frames[i]
		}
	}
	return nil
}

// pkgPath is the import path of a function's package:
// "github.com/a/b/c.(*T).m" gives "github.com/a/b/c".
func pkgPath(fn string) string {
	slash := strings.LastIndex(fn, "/")
	dot := strings.Index(fn[slash+1:], ".")
	if dot < 0 {
		return fn
	}
	return fn[:slash+1+dot]
}

// isStdFrame reports whether fn belongs to Go's standard library: its
// import path's first element has no dot, and it is not package main.
func isStdFrame(fn string) bool {
	path := pkgPath(fn)
	first, _, _ := strings.Cut(path, "/")
	return path != "main" && !strings.Contains(first, ".")
}

// modulePrefix guesses the module of a goroutine's entry function: package
// main, or the first three elements of a non-standard import path
// ("github.com/logcap/logcap/"). It is empty for the standard library.
func modulePrefix(fn string) string {
	path := pkgPath(fn)
	switch {
	case path == "main":
		return "main."
	case isStdFrame(fn):
		return ""
	}
	parts := strings.Split(path, "/")
	if len(parts) > 3 {
		parts = parts[:3]
	}
	return strings.Join(parts, "/")
}

func isRuntimeFrame(fn string) bool {
	for _, p := range []string{"runtime.", "internal/", "sync.", "sync/atomic."} {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}

func stackText(frames []Frame) string {
	var b strings.Builder
	for _, f := range frames {
		fmt.Fprintf(&b, "%s %s:%d\n", f.Function, f.File, f.Line)
	}
	return b.String()
}

// ReadGoroutines reads a goroutine profile from path: a pprof protobuf,
// gzipped or not (debug=0), or a full text dump (debug=2), which it turns
// into a profile with one sample per stack.
func ReadGoroutines(path string) (*profile.Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read goroutine profile: %w", err)
	}
	if looksLikeDump(data) {
		d, err := ParseDump(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return d.Profile(), nil
	}
	if bytes.HasPrefix(data, []byte("goroutine profile:")) {
		return nil, fmt.Errorf("%s: a debug=1 text profile carries no symbols "+
			"to match; take debug=0 or debug=2", path)
	}
	p, err := profile.ParseData(data)
	if err != nil {
		return nil, fmt.Errorf("%s: not a goroutine profile (debug=0) or dump "+
			"(debug=2): %w", path, err)
	}
	return p, nil
}

// dumpHeader is the first line of a goroutine in a debug=2 dump.
var dumpHeader = regexp.MustCompile(`^goroutine \d+ `)

func looksLikeDump(data []byte) bool {
	return dumpHeader.Match(bytes.TrimLeft(data, " \r\n\t"))
}
