package reports

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/logcap/logcap/analyze"
)

// writeCriteria writes the criteria table, liveness and completeness
// included.
func (r *report) writeCriteria(b *strings.Builder) {
	b.WriteString("## Criteria\n\n")
	head := []string{"#>", "criterion", "metric", "target", "result", "verdict"}
	if r.anyReason() {
		head = append(head, "why")
	}
	t := newTable(head...)
	for i, c := range r.res.Criteria {
		t.add(strconv.Itoa(i+1), criterionTitle(c.Name), metricCell(c.Metric),
			EscapeCell(c.Target), EscapeCell(c.Result), verdictCell(c.Verdict),
			EscapeCell(c.Reason))
	}
	if lv := r.res.Liveness; lv.Name != "" {
		t.add("", criterionTitle(lv.Name), metricCell(lv.Metric), EscapeCell(lv.Target),
			EscapeCell(lv.Result), verdictCell(lv.Verdict), EscapeCell(lv.Reason))
	}
	if c := r.res.Completeness; c != nil {
		t.add("", criterionTitle(analyze.CritCompleteness), "", "every line once",
			fmt.Sprintf("%s lost, %s repeated", big(float64(c.Lost)), big(float64(c.Repeated))),
			verdictCell(c.Verdict), "")
	}
	b.WriteString(t.String())
}

// anyReason reports whether some criterion says why it did not pass.
func (r *report) anyReason() bool {
	if r.res.Liveness.Reason != "" {
		return true
	}
	for _, c := range r.res.Criteria {
		if c.Reason != "" {
			return true
		}
	}
	return false
}

// criterionTitles are the criteria as the report names them.
var criterionTitles = map[string]string{
	analyze.CritGoroutines:   "goroutine growth",
	analyze.CritPool:         "stream pool saturation",
	analyze.CritFDs:          "file descriptor growth",
	analyze.CritHealth:       "capturer health",
	analyze.CritRotations:    "stream rotations",
	analyze.CritLiveness:     "liveness",
	analyze.CritCompleteness: "completeness",
}

func criterionTitle(name string) string {
	if t, ok := criterionTitles[name]; ok {
		return t
	}
	return EscapeCell(name)
}

// verdictCell writes a verdict in bold, except SKIPPED which is not news.
func verdictCell(v analyze.Verdict) string {
	if v == analyze.Skipped || v == "" {
		return EscapeCell(strings.ToLower(string(v)))
	}
	return "**" + EscapeCell(string(v)) + "**"
}

// figure is one per-checkpoint value of the timeline, as the report and
// summary.json name it.
type figure struct {
	name   string // in the first-and-last table
	key    string // in summary.json
	column string // timeline column head, "" to leave it out
	get    func(analyze.TimelineRow) *float64
	format func(float64) string
}

func goroutinesOf(t analyze.TimelineRow) *float64 { return t.Goroutines }
func fdsOf(t analyze.TimelineRow) *float64        { return t.FDs }
func maxFDsOf(t analyze.TimelineRow) *float64     { return t.MaxFDs }
func rssOf(t analyze.TimelineRow) *float64        { return t.RSS }
func streamsOf(t analyze.TimelineRow) *float64    { return t.ActiveStreams }
func capacityOf(t analyze.TimelineRow) *float64   { return t.PoolCapacity }
func rotationsOf(t analyze.TimelineRow) *float64  { return t.Rotations }
func linesOf(t analyze.TimelineRow) *float64      { return t.Lines }

var figures = []figure{
	{"goroutines", "goroutines", "goroutines>", goroutinesOf, big},
	{"open file descriptors", "open_fds", "open fds>", fdsOf, big},
	{"file descriptor limit", "max_fds", "", maxFDsOf, big},
	{"resident memory", "resident_memory_bytes", "memory>", rssOf, bytesHuman},
	{"active streams", "active_streams", "streams>", streamsOf, big},
	{"stream pool capacity", "pool_capacity", "", capacityOf, big},
	{"stream rotations", "rotations", "rotations>", rotationsOf, big},
	{"lines captured", "lines", "lines>", linesOf, big},
}

// writeValues writes the first and last values and the trend of each
// growing series.
func (r *report) writeValues(b *strings.Builder) {
	b.WriteString("## First and last values\n\n")
	t := newTable("figure", "first checkpoint>", "last checkpoint>", "change>")
	for _, v := range figures {
		fl := r.firstLast(v.get)
		if fl == nil {
			continue
		}
		t.add(v.name, v.format(fl[0]), v.format(fl[1]), change(fl[1]-fl[0], v.format))
	}
	if len(t.rows) == 0 {
		b.WriteString("No checkpoint carried a figure.\n\n")
		return
	}
	b.WriteString(t.String())
	r.writeTrends(b)
}

// change formats a difference with its sign in the figure's own format.
func change(d float64, format func(float64) string) string {
	if d < 0 {
		return "-" + format(-d)
	}
	return "+" + format(d)
}

// writeTrends writes the growth estimates of goroutines, fds and memory.
func (r *report) writeTrends(b *strings.Builder) {
	g := r.res.Growth
	t := newTable("series", "per minute>", "Theil-Sen slope>", "95% interval>",
		"last third>", "noise>", "trend")
	for _, s := range []struct {
		name string
		g    *analyze.SeriesGrowth
		f    func(float64) string
	}{
		{"goroutines", g.Goroutines, num},
		{"open file descriptors", g.FDs, num},
		{"resident memory", g.Memory, bytesHuman},
	} {
		if s.g == nil {
			continue
		}
		name := s.name
		if s.g.Series != "" {
			name += " " + CodeCell(s.g.Series)
		}
		t.add(name, s.f(s.g.PerMinute), s.f(s.g.Slope),
			s.f(s.g.SlopeLow)+" to "+s.f(s.g.SlopeHigh), s.f(s.g.LastThird),
			s.f(s.g.Noise), EscapeCell(s.g.Trend))
	}
	if len(t.rows) == 0 {
		return
	}
	b.WriteString("Growth from the baseline, per minute of real elapsed time:\n\n")
	b.WriteString(t.String())
}

// writeTimeline writes one row per checkpoint.
func (r *report) writeTimeline(b *strings.Builder) {
	b.WriteString("## Timeline\n\n")
	if len(r.res.Timeline) == 0 {
		b.WriteString("No checkpoint was recorded.\n\n")
		return
	}
	var cols []figure
	for _, c := range figures {
		if c.column != "" && r.firstLast(c.get) != nil {
			cols = append(cols, c)
		}
	}
	imported := importedFrom(r.run.Info) != ""
	head := []string{"#>", "time (UTC)", "elapsed min>"}
	if imported {
		// An imported timeline has no wall clock: its times would be made up.
		head = []string{"#>", "elapsed min>"}
		b.WriteString("Imported timeline: times are relative to its first row.\n\n")
	}
	for _, c := range cols {
		head = append(head, c.column)
	}
	health := slices.ContainsFunc(r.res.Timeline,
		func(t analyze.TimelineRow) bool { return t.Healthy != nil })
	if health {
		head = append(head, "health")
	}
	t := newTable(append(head, "remarks")...)
	for _, row := range r.res.Timeline {
		cells := []string{strconv.Itoa(row.Index), row.Time.UTC().Format("15:04:05"),
			minutes(row.Elapsed)}
		if imported {
			cells = []string{strconv.Itoa(row.Index), minutes(row.Elapsed)}
		}
		for _, c := range cols {
			cells = append(cells, optNumWith(c.get(row), c.format))
		}
		if health {
			cells = append(cells, healthCell(row))
		}
		t.add(append(cells, r.remarks(row))...)
	}
	if len(t.rows) > maxOpenTimeline {
		fmt.Fprintf(b, "<details><summary>All %d checkpoints</summary>\n\n%s</details>\n\n",
			len(t.rows), t.String())
		return
	}
	b.WriteString(t.String())
}

// maxOpenTimeline is the longest timeline shown open; a longer one is
// folded so the sections after it stay within reach.
const maxOpenTimeline = 60

func optNumWith(f *float64, format func(float64) string) string {
	if f == nil || math.IsNaN(*f) {
		return "–"
	}
	return format(*f)
}

// healthCell is "ok", the unhealthy label sets, or a dash when not read.
func healthCell(row analyze.TimelineRow) string {
	switch {
	case row.Healthy == nil:
		return "–"
	case *row.Healthy:
		return "ok"
	case len(row.Unhealthy) > 0:
		return "**unhealthy:** " + EscapeCell(strings.Join(row.Unhealthy, ", "))
	}
	return "**unhealthy**"
}

// remarks marks the baseline, the final checkpoint, restarts and errors.
func (r *report) remarks(row analyze.TimelineRow) string {
	var out []string
	if r.base != nil && row.Index == r.base.Index {
		out = append(out, "baseline")
	}
	if r.final != nil && row.Index == r.final.Index && len(r.res.Timeline) > 1 {
		out = append(out, "final")
	}
	for _, rs := range r.res.Restarts {
		if rs.Index == row.Index {
			out = append(out, "**target restarted**")
		}
	}
	for _, e := range row.Errors {
		out = append(out, EscapeCell(e))
	}
	return strings.Join(out, "; ")
}

// chart gathers the goroutine and fd series of the timeline.
func (r *report) chart() Chart {
	c := Chart{
		Title:     "Goroutines and open file descriptors",
		Baseline:  math.NaN(),
		WarmupEnd: r.run.Info.Warmup.Minutes(),
	}
	gor := Series{Name: "goroutines"}
	fds := Series{Name: "open file descriptors"}
	for _, row := range r.res.Timeline {
		c.Minutes = append(c.Minutes, row.Elapsed/60)
		gor.Values = append(gor.Values, valueOrNaN(row.Goroutines))
		fds.Values = append(fds.Values, valueOrNaN(row.FDs))
	}
	if r.base != nil {
		c.Baseline = r.base.Elapsed / 60
	}
	for _, rs := range r.res.Restarts {
		c.Marks = append(c.Marks, Mark{Minute: rs.Elapsed / 60, Label: "target restarted"})
	}
	for _, s := range []Series{gor, fds} {
		if hasValue(s.Values) {
			c.Series = append(c.Series, s)
		}
	}
	return c
}

func valueOrNaN(f *float64) float64 {
	if f == nil {
		return math.NaN()
	}
	return *f
}

func hasValue(vs []float64) bool {
	for _, v := range vs {
		if !math.IsNaN(v) {
			return true
		}
	}
	return false
}

// writeChart writes the Mermaid charts and links the SVG one.
func (r *report) writeChart(b *strings.Builder) {
	b.WriteString("## Chart\n\n")
	c := r.chart()
	if len(c.Series) == 0 {
		b.WriteString("No checkpoint carried goroutines or file descriptors to draw.\n\n")
		return
	}
	b.WriteString("Elapsed minutes since the run started, one point per checkpoint. " +
		"The same chart with the warm-up shaded and the baseline marked: " +
		"[chart.svg](chart.svg).\n\n")
	if len(c.Minutes) > maxMermaidPoints {
		fmt.Fprintf(b, "With %d checkpoints, the charts below show the highest value of "+
			"each group of checkpoints, %d points in all; chart.svg has every one.\n\n",
			len(c.Minutes), maxMermaidPoints)
	}
	_ = c.WriteMermaid(b) // a strings.Builder does not fail
}

// metricCell writes each metric name of a comma separated list as code,
// a comma and a space between them.
func metricCell(names string) string {
	if names == "" {
		return ""
	}
	parts := strings.Split(names, ",")
	for i, p := range parts {
		parts[i] = CodeCell(strings.TrimSpace(p))
	}
	return strings.Join(parts, ", ")
}

// writePhases writes the phases of the goroutine timeline.
func (r *report) writePhases(b *strings.Builder) {
	b.WriteString("## Phases\n\n")
	if len(r.res.Phases) == 0 {
		b.WriteString("Too few checkpoints to cut the run into phases.\n\n")
		return
	}
	t := newTable("phase", "checkpoints", "from min>", "to min>", "minutes>",
		"goroutines>", "goroutine growth per minute>")
	for _, p := range r.res.Phases {
		t.add(EscapeCell(string(p.Kind)), fmt.Sprintf("%d–%d", p.StartIndex, p.EndIndex),
			minutes(p.Start), minutes(p.End), minutes(p.End-p.Start),
			big(math.Round(p.From))+" → "+big(math.Round(p.To)), signed(p.Rate))
	}
	b.WriteString(t.String())
}
