package reports

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/logcap/logcap/analyze"
)

// dayFixture is a day-long run with a checkpoint a minute and 200 growing
// stacks: the largest report the soak is expected to write.
func dayFixture() (analyze.Run, analyze.Result) {
	s := series{warmup: 5 * time.Minute, interval: time.Minute}
	for i := range 1440 {
		s.goroutines = append(s.goroutines, 60+float64(i)/10)
		s.fds = append(s.fds, 30+float64(i%5))
	}
	run, res := failFixture()
	run.Checkpoints = fixtureRun(run.Info.RunID, s).Checkpoints
	res.Timeline = fixtureTimeline(s)
	res.Checkpoints = len(s.goroutines)
	res.Stacks = nil
	for i := range 200 {
		res.Stacks = append(res.Stacks, analyze.StackGrowth{
			Function: fmt.Sprintf("example.com/svc.worker%d", i),
			Location: fmt.Sprintf("svc/worker.go:%d", 100+i),
			Stack:    []analyze.Frame{{Function: "runtime.gopark", File: "proc.go", Line: 1}},
			Base:     1, Final: int64(300 - i), Delta: int64(299 - i),
		})
	}
	return run, res
}

// BenchmarkMarkdownDay renders the report of a day-long run.
func BenchmarkMarkdownDay(b *testing.B) {
	run, res := dayFixture()
	b.ReportAllocs()
	for b.Loop() {
		if err := Markdown(io.Discard, run, res); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSVGDay draws the chart of a day-long run.
func BenchmarkSVGDay(b *testing.B) {
	run, res := dayFixture()
	c := newReport(run, res).chart()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.WriteSVG(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
