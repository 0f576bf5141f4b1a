package analyze

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// Dump is a goroutine dump as written by pprof.Lookup("goroutine") with
// debug=2, or by a crash.
type Dump struct {
	Goroutines []Goroutine
}

// Goroutine is one goroutine of a dump.
type Goroutine struct {
	ID int64
	// State is the wait reason or state in brackets, such as "chan
	// receive" or "running".
	State string
	// Wait is how long it has waited, in whole minutes as the runtime
	// prints it (0 under a minute).
	Wait time.Duration
	// Frames are innermost first; CreatedBy is the go statement, if any.
	Frames    []Frame
	CreatedBy *Frame
}

var (
	goroutineLine = regexp.MustCompile(`^goroutine (\d+)(?: [^\[]*)? ?\[(.*)\]:$`)
	waitMinutes   = regexp.MustCompile(`^(\d+) minutes?$`)
	fileLine      = regexp.MustCompile(`^\t(.*):(\d+)(?: \+0x[0-9a-f]+)?(?: .*)?$`)
)

// ParseDump reads a debug=2 goroutine dump. A line it cannot place is an
// error naming its line number.
func ParseDump(r io.Reader) (Dump, error) {
	var d Dump
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var g *Goroutine
	var fn string // a function line waiting for its file line
	created := false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		var err error
		switch {
		case line == "":
			if fn != "" {
				err = fmt.Errorf("function %q has no file line", fn)
			}
			g = nil
		case g == nil:
			g, err = parseHeader(line)
			if err == nil {
				d.Goroutines = append(d.Goroutines, *g)
				g = &d.Goroutines[len(d.Goroutines)-1]
			}
		case strings.HasPrefix(line, "\t"):
			err = addFrame(g, fn, line, created)
			fn, created = "", false
		case fn != "":
			err = fmt.Errorf("function %q has no file line", fn)
		case strings.HasPrefix(line, "...") && strings.HasSuffix(line, "..."):
		case strings.HasPrefix(line, "created by "):
			fn, created = createdBy(line), true
		default:
			fn = funcName(line)
		}
		if err != nil {
			return Dump{}, fmt.Errorf("goroutine dump line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return Dump{}, fmt.Errorf("read goroutine dump: %w", err)
	}
	if fn != "" {
		return Dump{}, fmt.Errorf("goroutine dump: function %q has no file line", fn)
	}
	if len(d.Goroutines) == 0 {
		return Dump{}, fmt.Errorf("goroutine dump: no goroutine found")
	}
	return d, nil
}

func parseHeader(line string) (*Goroutine, error) {
	m := goroutineLine.FindStringSubmatch(line)
	if m == nil {
		return nil, fmt.Errorf("want a line \"goroutine N [state]:\", got %q", clip(line))
	}
	id, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("goroutine id %q: %w", m[1], err)
	}
	g := &Goroutine{ID: id}
	parts := strings.Split(m[2], ", ")
	g.State = parts[0]
	for _, p := range parts[1:] {
		if w := waitMinutes.FindStringSubmatch(p); w != nil {
			mins, err := strconv.ParseInt(w[1], 10, 64)
			if err != nil || mins > math.MaxInt64/int64(time.Minute) {
				return nil, fmt.Errorf("wait %q out of range", p)
			}
			g.Wait = time.Duration(mins) * time.Minute
		}
	}
	return g, nil
}

func addFrame(g *Goroutine, fn, line string, created bool) error {
	if fn == "" {
		return fmt.Errorf("file line %q follows no function", clip(line))
	}
	m := fileLine.FindStringSubmatch(line)
	if m == nil {
		return fmt.Errorf("want a tab, file:line and offset, got %q", clip(line))
	}
	n, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil {
		return fmt.Errorf("line number %q: %w", m[2], err)
	}
	f := Frame{Function: fn, File: m[1], Line: n}
	if created {
		g.CreatedBy = &f
		return nil
	}
	g.Frames = append(g.Frames, f)
	return nil
}

// funcName strips the arguments from "pkg.(*T).m(0x1, ...)".
func funcName(line string) string {
	if strings.HasSuffix(line, ")") {
		if i := strings.LastIndex(line, "("); i > 0 {
			return line[:i]
		}
	}
	return line
}

// createdBy reads "created by pkg.f in goroutine 7".
func createdBy(line string) string {
	fn := strings.TrimPrefix(line, "created by ")
	if i := strings.Index(fn, " in goroutine "); i >= 0 {
		fn = fn[:i]
	}
	return fn
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Profile turns the dump into a goroutine profile with one sample per
// distinct stack, so DiffProfiles can compare dumps too.
func (d Dump) Profile() *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "goroutine", Unit: "count"}},
		PeriodType: &profile.ValueType{Type: "goroutine", Unit: "count"},
		Period:     1,
	}
	funcs := map[[2]string]*profile.Function{}
	locs := map[Frame]*profile.Location{}
	samples := map[string]*profile.Sample{}
	for _, g := range d.Goroutines {
		key := stackText(g.Frames)
		if s := samples[key]; s != nil {
			s.Value[0]++
			continue
		}
		s := &profile.Sample{Value: []int64{1}}
		for _, f := range g.Frames {
			s.Location = append(s.Location, location(p, funcs, locs, f))
		}
		samples[key] = s
		p.Sample = append(p.Sample, s)
	}
	return p
}

func location(p *profile.Profile, funcs map[[2]string]*profile.Function,
	locs map[Frame]*profile.Location, f Frame) *profile.Location {
	if l := locs[f]; l != nil {
		return l
	}
	fk := [2]string{f.Function, f.File}
	fn := funcs[fk]
	if fn == nil {
		fn = &profile.Function{ID: uint64(len(p.Function) + 1), Name: f.Function,
			SystemName: f.Function, Filename: f.File}
		funcs[fk] = fn
		p.Function = append(p.Function, fn)
	}
	l := &profile.Location{ID: uint64(len(p.Location) + 1),
		Line: []profile.Line{{Function: fn, Line: f.Line}}}
	locs[f] = l
	p.Location = append(p.Location, l)
	return l
}

// blockedKey groups goroutines by wait reason and naming frame.
type blockedKey struct{ state, fn, loc string }

// BlockedGroups groups the goroutines of final that have waited at least
// after, by wait reason and naming frame, most first. base, if not nil,
// gives each group's count in the baseline dump, blocked or not.
func BlockedGroups(base *Dump, final Dump, after time.Duration) []BlockedGroup {
	groups := map[blockedKey]*BlockedGroup{}
	for _, g := range final.Goroutines {
		if g.Wait < after || g.Wait == 0 {
			continue
		}
		fn, loc := namingFrame(g.Frames)
		k := blockedKey{g.State, fn, loc}
		bg := groups[k]
		if bg == nil {
			bg = &BlockedGroup{WaitReason: g.State, Function: fn, Location: loc,
				Stack: g.Frames}
			groups[k] = bg
		}
		bg.Count++
		bg.MaxMinutes = math.Max(bg.MaxMinutes, g.Wait.Minutes())
	}
	if base != nil {
		for _, g := range base.Goroutines {
			fn, loc := namingFrame(g.Frames)
			if bg := groups[blockedKey{g.State, fn, loc}]; bg != nil {
				bg.Baseline++
			}
		}
	}
	out := make([]BlockedGroup, 0, len(groups))
	for _, bg := range groups {
		out = append(out, *bg)
	}
	slices.SortFunc(out, func(a, b BlockedGroup) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.WaitReason, b.WaitReason),
			cmp.Compare(a.Function, b.Function), cmp.Compare(a.Location, b.Location))
	})
	return out
}
