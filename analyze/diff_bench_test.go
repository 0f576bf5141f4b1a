package analyze

import (
	"fmt"
	"testing"

	"github.com/google/pprof/profile"
)

// syntheticProfile builds a goroutine profile of goroutines samples of one
// goroutine each, spread over stacks distinct stacks of depth frames made of
// 2,000 functions; the first grow stacks get extra goroutines.
func syntheticProfile(goroutines, stacks, depth, grow int) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "goroutine", Unit: "count"}},
		PeriodType: &profile.ValueType{Type: "goroutine", Unit: "count"},
		Period:     1,
	}
	for i := range 2000 {
		fn := &profile.Function{ID: uint64(i + 1),
			Name:     fmt.Sprintf("github.com/example/svc/pkg%d.Func%d", i%40, i),
			Filename: fmt.Sprintf("/src/svc/pkg%d/file%d.go", i%40, i%7)}
		p.Function = append(p.Function, fn)
		p.Location = append(p.Location, &profile.Location{ID: uint64(i + 1),
			Address: uint64(0x400000 + i*64),
			Line:    []profile.Line{{Function: fn, Line: int64(10 + i%300)}}})
	}
	locs := func(s int) []*profile.Location {
		out := make([]*profile.Location, depth)
		for d := range out {
			out[d] = p.Location[(s*7919+d*104729)%len(p.Location)]
		}
		return out
	}
	for g := range goroutines {
		s := g % stacks
		if g < grow*10 {
			s = g % grow
		}
		p.Sample = append(p.Sample, &profile.Sample{Location: locs(s), Value: []int64{1}})
	}
	return p
}

func BenchmarkDiffProfiles100k(b *testing.B) {
	base := syntheticProfile(100_000, 20_000, 10, 0)
	final := syntheticProfile(100_000, 20_000, 10, 500)
	b.ReportAllocs()
	for b.Loop() {
		if len(DiffProfiles(base, final)) == 0 {
			b.Fatal("no stack grew")
		}
	}
}

// BenchmarkScore100kCheckpoints scores an imported timeline of 100,000 rows,
// a leak with noise.
func BenchmarkScore100kCheckpoints(b *testing.B) {
	run := synth(100_000, func(m int) float64 { return 500 + 0.5*float64(m) + float64(m%7) })
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Score(run, DefaultCriteria()); err != nil {
			b.Fatal(err)
		}
	}
}
