package reports

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/logcap/logcap/analyze"
)

// projectionHorizon is how soon a limit must be reached for the summary to
// mention it; the projections section lists every limit anyway.
const projectionHorizon = 90 * 24 * time.Hour

// flatRate is the goroutine growth per minute below which a slope reads as
// flat in prose: less than one goroutine in 100 minutes.
const flatRate = 0.01

// summaryParagraphs writes the summary from the numbers, one short
// paragraph per subject, the most telling first.
func (r *report) summaryParagraphs() []string {
	g := r.res.Growth
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	add(growthSentence("Goroutines", g.Goroutines, r.minutes(), num) + r.goroutineLimit())
	add(growthSentence("Open file descriptors", g.FDs, r.minutes(), num) + r.fdLimit())
	add(memorySentence(g.Memory, r.minutes()))
	add(r.healthSentence())
	add(r.livenessSentence())
	add(r.stackSentence())
	add(r.restartSentence())
	add(r.completenessSentence())
	add(r.projectionSentence())
	if len(out) == 0 {
		out = append(out, "No checkpoint carried the figures a summary is written from.")
	}
	return out
}

// minTrendPoints is the fewest checkpoints a slope and a last third are
// told from.
const minTrendPoints = 3

// growthSentence reads like "Goroutines rose from 58 to 61 over 58
// minutes, 0.05 per minute; the last third is flat."
func growthSentence(name string, g *analyze.SeriesGrowth, mins float64,
	format func(float64) string) string {
	if g == nil {
		return ""
	}
	var s string
	switch {
	case g.Delta > 0:
		s = fmt.Sprintf("%s rose from %s to %s", name, format(g.Baseline), format(g.Final))
	case g.Delta < 0:
		s = fmt.Sprintf("%s fell from %s to %s", name, format(g.Baseline), format(g.Final))
	default:
		s = fmt.Sprintf("%s stayed at %s", name, format(g.Final))
	}
	s += " over " + minutesPhrase(mins) + " from the baseline"
	if g.Delta != 0 {
		s += fmt.Sprintf(", %s per minute", format(g.PerMinute))
	}
	if g.Max > math.Max(g.Baseline, g.Final) {
		s += fmt.Sprintf(" (peak %s)", format(g.Max))
	}
	if g.Points > 0 && g.Points < minTrendPoints {
		return s + fmt.Sprintf(". With %s from the baseline on there are too few "+
			"checkpoints to tell a trend, or whether the last third still moves.",
			plural(int64(g.Points), "checkpoint", "checkpoints"))
	}
	if math.IsNaN(g.SlopeLow) || math.IsNaN(g.SlopeHigh) {
		s += ". Too few points for a Theil-Sen interval"
	} else {
		s += fmt.Sprintf(". The Theil-Sen slope is %s per minute (95%% interval %s to %s)",
			format(g.Slope), format(g.SlopeLow), format(g.SlopeHigh))
	}
	return s + "; " + lastThird(g.LastThird, format) + "."
}

// memorySentence is the short form for resident memory, which no
// criterion scores: the change and its growth per minute.
func memorySentence(g *analyze.SeriesGrowth, mins float64) string {
	if g == nil {
		return ""
	}
	verb := "rose"
	if g.Delta < 0 {
		verb = "fell"
	}
	return fmt.Sprintf("Resident memory %s from %s to %s over %s, %s per minute "+
		"(Theil-Sen).", verb, bytesHuman(g.Baseline), bytesHuman(g.Final),
		minutesPhrase(mins), bytesHuman(g.Slope))
}

// minutesPhrase writes a span given in minutes in the report's one style
// of durations: "58m", "2m38s", "1h05m".
func minutesPhrase(mins float64) string {
	return span(time.Duration(mins * float64(time.Minute)))
}

// goroutineLimit compares goroutine growth per minute with criterion 1.
func (r *report) goroutineLimit() string {
	g, s := r.res.Growth.Goroutines, r.res.Settings
	if g == nil || !s.Enabled(analyze.CritGoroutines) || s.MaxGoroutineGrowth <= 0 {
		return ""
	}
	return fmt.Sprintf(" Criterion 1 wants goroutine growth per minute below %s.",
		num(s.MaxGoroutineGrowth))
}

// fdLimit compares the file descriptor growth with criterion 3.
func (r *report) fdLimit() string {
	g, s := r.res.Growth.FDs, r.res.Settings
	if g == nil || !s.Enabled(analyze.CritFDs) || s.MaxFDGrowth <= 0 {
		return ""
	}
	return fmt.Sprintf(" Criterion 3 wants them up by less than %s over the run; they "+
		"moved %s.", num(s.MaxFDGrowth), signed(g.Delta))
}

// lastThird says whether the end of the run still moves.
func lastThird(rate float64, format func(float64) string) string {
	switch {
	case math.IsNaN(rate):
		return "the last third is too short to tell"
	case math.Abs(rate) < flatRate:
		return "the last third is flat"
	case rate > 0:
		return "the last third still rises, " + format(rate) + " per minute"
	default:
		return "the last third falls, " + format(-rate) + " per minute"
	}
}

// livenessSentence says whether lines and rotations kept rising.
func (r *report) livenessSentence() string {
	lines := r.firstLast(linesOf)
	rots := r.firstLast(rotationsOf)
	var parts []string
	if lines != nil {
		parts = append(parts, fmt.Sprintf("lines captured went from %s to %s",
			big(lines[0]), big(lines[1])))
	}
	if rots != nil {
		parts = append(parts, fmt.Sprintf("stream rotations from %s to %s",
			big(rots[0]), big(rots[1])))
	}
	if len(parts) == 0 {
		return ""
	}
	s := capitalize(strings.Join(parts, " and "))
	lv := r.res.Liveness
	switch lv.Verdict {
	case analyze.Pass:
		return s + ", rising between checkpoints as a live capturer's should."
	case analyze.Fail, analyze.Inconclusive:
		if lv.Reason != "" {
			return s + ". Liveness is " + string(lv.Verdict) + ": " +
				strings.TrimSuffix(EscapeCell(lv.Reason), ".") + "."
		}
		return s + ". Liveness is " + string(lv.Verdict) + "."
	}
	return s + "."
}

// healthSentence names the checkpoints at which the target was unhealthy.
func (r *report) healthSentence() string {
	var bad []string
	read := 0
	for _, t := range r.res.Timeline {
		if t.Healthy == nil {
			continue
		}
		read++
		if !*t.Healthy {
			what := fmt.Sprint(t.Index)
			if len(t.Unhealthy) > 0 {
				what += " (" + EscapeCell(strings.Join(t.Unhealthy, ", ")) + ")"
			}
			bad = append(bad, what)
		}
	}
	n := len(bad)
	switch {
	case read == 0:
		return ""
	case n == 0:
		return fmt.Sprintf("%s reported itself healthy at all %d checkpoints "+
			"that read health.", r.subject(), read)
	case n > 5:
		bad = append(bad[:5], "…")
	}
	return fmt.Sprintf("%s was unhealthy at %d of %d checkpoints: %s.",
		r.subject(), n, read, strings.Join(bad, ", "))
}

// subject names what was soaked, for the start of a sentence.
func (r *report) subject() string {
	if r.run.Info.Builtin {
		return "The capturer"
	}
	return "The target"
}

// firstLast returns the first and last values of a timeline figure, or nil
// when no checkpoint has it.
func (r *report) firstLast(get func(analyze.TimelineRow) *float64) []float64 {
	var first, last *float64
	for _, t := range r.res.Timeline {
		if v := get(t); v != nil {
			if first == nil {
				first = v
			}
			last = v
		}
	}
	if first == nil {
		return nil
	}
	return []float64{*first, *last}
}

// stackSentence names the stack that grew most.
func (r *report) stackSentence() string {
	st := r.res.Stacks
	if len(st) == 0 {
		if r.profilePair() == nil {
			return ""
		}
		return "No goroutine stack grew between the baseline and the final profile."
	}
	top := st[0]
	return fmt.Sprintf("Between the baseline and the final profile %s grew; the largest, "+
		"%s at %s, went from %d to %d goroutines (+%d).",
		plural(int64(len(st)), "goroutine stack", "goroutine stacks"), CodeCell(top.Function),
		CodeCell(top.Location), top.Base, top.Final, top.Delta)
}

// restartSentence reports restarts of the target.
func (r *report) restartSentence() string {
	rs := r.res.Restarts
	if len(rs) == 0 {
		return ""
	}
	return fmt.Sprintf("The target restarted %s during the run, first before checkpoint %d "+
		"(%s minutes in): its counters reset and its goroutines started over. Growth "+
		"is measured from checkpoint %d, the first of the last process.",
		times(len(rs)), rs[0].Index, minutes(rs[0].Elapsed), rs[len(rs)-1].Index)
}

// completenessSentence sums up lost and repeated lines.
func (r *report) completenessSentence() string {
	c := r.res.Completeness
	if c == nil {
		return ""
	}
	all := plural(int64(c.Containers), "container", "containers")
	if c.Lost == 0 && c.Repeated == 0 && c.NoFinal == 0 {
		return fmt.Sprintf("Every line of the %s arrived exactly once: %s lines emitted, "+
			"%s captured.", all, big(float64(c.Emitted)), big(float64(c.Captured)))
	}
	if c.Lost == 0 && c.Repeated == 0 {
		return fmt.Sprintf("No line was lost or repeated (%s emitted, %s captured), but "+
			"only %d of the %s were checked to their final line; for the other %d "+
			"the final line never arrived, so they were checked only up to the "+
			"highest number seen.", big(float64(c.Emitted)), big(float64(c.Captured)),
			c.Containers-c.NoFinal, all, c.NoFinal)
	}
	s := fmt.Sprintf("Of %s lines emitted by %s, %s were lost and %s repeated.",
		big(float64(c.Emitted)), all, big(float64(c.Lost)), big(float64(c.Repeated)))
	if c.NoFinal > 0 {
		s += fmt.Sprintf(" %d of the containers were checked only up to the highest number seen, "+
			"their final line missing.", c.NoFinal)
	}
	return s
}

// projectionSentence says when a limit would be reached, if ever.
func (r *report) projectionSentence() string {
	p := r.res.Projections
	var parts []string
	if p.TimeToMaxFDs != nil && *p.TimeToMaxFDs < projectionHorizon {
		parts = append(parts, fmt.Sprintf("the file descriptor limit of %s in %s",
			big(p.MaxFDs), span(*p.TimeToMaxFDs)))
	}
	if p.TimeToMemoryLimit != nil && *p.TimeToMemoryLimit < projectionHorizon {
		parts = append(parts, fmt.Sprintf("the memory limit of %s in %s",
			bytesHuman(p.MemoryLimit), span(*p.TimeToMemoryLimit)))
	}
	if len(parts) == 0 {
		return ""
	}
	return "At the measured growth the process would reach " +
		strings.Join(parts, " and ") + "."
}

// times spells a small count of occurrences.
func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
