package reports

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/logcap/logcap/analyze"
)

// Limits of the stack section: stacks listed in the table, and stacks shown
// frame by frame below it.
const (
	maxStackRows    = 15
	maxStackDetails = 5
)

// profilePair returns the baseline and final profile paths, relative to the
// run directory, or nil when the run has fewer than two profiles. The
// pair analyze diffed wins; else the first and last of the checkpoints.
func (r *report) profilePair() []string {
	if r.res.BaseProfile != "" && r.res.FinalProfile != "" {
		return []string{r.res.BaseProfile, r.res.FinalProfile}
	}
	var first, last string
	for _, cp := range r.run.Checkpoints {
		if cp.Profile == "" {
			continue
		}
		if first == "" {
			first = cp.Profile
		}
		last = cp.Profile
	}
	if first == "" || first == last {
		return nil
	}
	return []string{first, last}
}

// writeStacks writes the stacks that grew, with pprof commands to dig in.
func (r *report) writeStacks(b *strings.Builder) {
	b.WriteString("## Stacks that grew\n\n")
	pair := r.profilePair()
	if w := r.profileFallback(); w != "" {
		b.WriteString(w + "\n\n")
		if r.res.BaseProfile == "" || r.res.FinalProfile == "" {
			return
		}
	}
	if len(r.res.Stacks) == 0 {
		if pair == nil {
			b.WriteString("The run has fewer than two goroutine profiles, so no stack " +
				"could be compared.\n\n")
			return
		}
		fmt.Fprintf(b, "No goroutine stack grew from %s to %s.\n\n",
			CodeCell(pair[0]), CodeCell(pair[1]))
		return
	}
	if pair != nil {
		fmt.Fprintf(b, "Goroutine stacks grouped by function and file:line (addresses "+
			"ignored), %s minus %s, most growth first.\n\n", CodeCell(pair[1]),
			CodeCell(pair[0]))
	} else {
		b.WriteString("Goroutine stacks grouped by function and file:line (addresses " +
			"ignored), final profile minus baseline profile, most growth first.\n\n")
	}
	t := newTable("#>", "growth>", "baseline>", "final>", "function", "location")
	for i, s := range r.res.Stacks[:min(len(r.res.Stacks), maxStackRows)] {
		t.add(fmt.Sprint(i+1), fmt.Sprintf("+%d", s.Delta), fmt.Sprint(s.Base),
			fmt.Sprint(s.Final), CodeCell(s.Function), CodeCell(s.Location))
	}
	b.WriteString(t.String())
	if n := len(r.res.Stacks) - maxStackRows; n > 0 {
		word := "stacks"
		if n == 1 {
			word = "stack"
		}
		fmt.Fprintf(b, "%d more %s grew; summary.json lists them all.\n\n", n, word)
	}
	if pair != nil {
		b.WriteString("To dig further, from the run directory:\n\n```sh\n")
		fmt.Fprintf(b, "go tool pprof -top -base %s %s\n```\n\n", pair[0], pair[1])
	}
	for i, s := range r.res.Stacks[:min(len(r.res.Stacks), maxStackDetails)] {
		writeStackDetail(b, i+1, s, pair)
	}
}

// writeStackDetail writes one stack frame by frame, its counts over time
// and a pprof command focused on it.
func writeStackDetail(b *strings.Builder, n int, s analyze.StackGrowth, pair []string) {
	fmt.Fprintf(b, "<details><summary>%d. +%d at %s (%s)</summary>\n\n", n, s.Delta,
		htmlEscape(s.Function), htmlEscape(s.Location))
	writeStackCounts(b, s)
	b.WriteString("```text\n")
	for _, f := range s.Stack {
		fmt.Fprintf(b, "%s\n    %s:%d\n", f.Function, f.File, f.Line)
	}
	b.WriteString("```\n\n")
	if pair != nil {
		fmt.Fprintf(b, "```sh\ngo tool pprof -traces -focus='%s' -base %s %s\n```\n\n",
			focusPattern(s.Function), pair[0], pair[1])
	}
	b.WriteString("</details>\n\n")
}

// writeStackCounts writes a stack's count at each checkpoint with a
// profile, as a small table when the checkpoints are known.
func writeStackCounts(b *strings.Builder, s analyze.StackGrowth) {
	if len(s.Counts) == 0 {
		return
	}
	if len(s.Checkpoints) != len(s.Counts) {
		counts := make([]string, len(s.Counts))
		for i, c := range s.Counts {
			counts[i] = fmt.Sprint(c)
		}
		fmt.Fprintf(b, "Count at each checkpoint with a profile: %s.\n\n",
			strings.Join(counts, " → "))
		return
	}
	head := []string{"checkpoint"}
	row := []string{"goroutines"}
	for i, c := range s.Counts {
		head = append(head, fmt.Sprintf("%d>", s.Checkpoints[i]))
		row = append(row, fmt.Sprint(c))
	}
	t := newTable(head...)
	t.add(row...)
	b.WriteString(t.String())
}

// focusPattern is a pprof -focus regexp that matches exactly function, safe
// inside single quotes.
func focusPattern(function string) string {
	p := "^" + regexp.QuoteMeta(function) + "$"
	return strings.ReplaceAll(p, "'", `'\''`)
}

// htmlEscape escapes text placed inside HTML such as a <summary>.
var htmlEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// blockedAfter is the wait past which a goroutine is listed as blocked.
func (r *report) blockedAfter() time.Duration {
	switch {
	case r.res.Settings.BlockedAfter > 0:
		return r.res.Settings.BlockedAfter
	case r.run.Info.RotateEvery > 0:
		return r.run.Info.RotateEvery
	}
	return 5 * time.Minute
}

// finalDump returns the dump Blocked was read from, else the last full
// goroutine dump of the run, or "".
func (r *report) finalDump() string {
	dump := r.res.Dump
	if dump != "" {
		return dump
	}
	for _, cp := range r.run.Checkpoints {
		if cp.Dump != "" {
			dump = cp.Dump
		}
	}
	return dump
}

// profileFallback says so when the profiles diffed are not the baseline's
// and the final checkpoint's (one missing or unreadable), or "".
func (r *report) profileFallback() string {
	var first, last string
	for _, cp := range r.run.Checkpoints {
		if cp.Profile == "" || (r.base != nil && cp.Index < r.base.Index) {
			continue
		}
		if first == "" {
			first = cp.Profile
		}
		last = cp.Profile
	}
	base, final := r.res.BaseProfile, r.res.FinalProfile
	switch {
	case last == "":
		return ""
	case base == "" || final == "":
		return "Fewer than two goroutine profiles from the baseline on could be read " +
			"(see Notes), so no stack was compared."
	}
	var parts []string
	if final != last {
		parts = append(parts, fmt.Sprintf("the final profile %s is missing or could not "+
			"be read, so %s, the last readable one, is used instead", CodeCell(last),
			CodeCell(final)))
	}
	if base != first {
		parts = append(parts, fmt.Sprintf("the baseline profile %s is missing or could "+
			"not be read, so %s is used instead", CodeCell(first), CodeCell(base)))
	}
	if len(parts) == 0 {
		return ""
	}
	return capitalize(strings.Join(parts, "; ")) + " (see Notes)."
}

// writeBlocked writes goroutines of the final dump blocked too long.
func (r *report) writeBlocked(b *strings.Builder) {
	after := span(r.blockedAfter())
	b.WriteString("## Goroutines blocked longer than " + after + "\n\n")
	dump := r.finalDump()
	switch {
	case len(r.res.Blocked) == 0 && dump == "":
		b.WriteString("The run has no full goroutine dump to read waits from.\n\n")
		return
	case r.res.Dump == "":
		fmt.Fprintf(b, "The final goroutine dump %s is missing or could not be read "+
			"(see Notes), so no wait is reported.\n\n", CodeCell(dump))
		return
	case len(r.res.Blocked) == 0:
		fmt.Fprintf(b, "No goroutine of %s had waited longer than %s.\n\n", CodeCell(dump), after)
		return
	}
	fmt.Fprintf(b, "From %s, grouped by wait reason and function. *Blocked now* counts "+
		"the goroutines of the final dump that waited longer than %s; *same place at "+
		"baseline* counts those of the baseline dump with the same wait reason and "+
		"function, however long they had waited, so the two are not a before and "+
		"after of one figure.\n\n", CodeCell(dump), after)
	t := newTable("blocked now>", "same place at baseline>", "wait reason",
		"longest wait (min)>", "function", "location")
	for _, g := range r.res.Blocked {
		t.add(fmt.Sprint(g.Count), fmt.Sprint(g.Baseline), EscapeCell(g.WaitReason),
			num(g.MaxMinutes), CodeCell(g.Function), CodeCell(g.Location))
	}
	b.WriteString(t.String())
	b.WriteString("A group already as large at the baseline is often long-lived by " +
		"design (an accept loop, say); one that grew since is a leak suspect.\n\n")
}

// writePerStream writes the leak arithmetic.
func (r *report) writePerStream(b *strings.Builder) {
	p := r.res.PerStream
	streams := p.Streams != 0 || p.Rotations != 0
	if streams {
		b.WriteString("## Leaked goroutines per stream and per rotation\n\n")
	} else {
		// A generic Go service has no streams or rotations to divide by.
		b.WriteString("## Leaked goroutines\n\n")
	}
	t := newTable("figure", "value>")
	if streams {
		t.add("active streams at the final checkpoint", big(p.Streams))
		t.add("rotations from baseline to final", big(p.Rotations))
	}
	t.add("goroutines leaked (final minus baseline)", signed(p.LeakedGoroutines))
	t.add("file descriptors opened and kept", signed(p.NewFDs))
	if streams {
		t.add("leaked goroutines per stream", ratio(p.PerStream))
		t.add("leaked goroutines per rotation", ratio(p.PerRotation))
	}
	t.add("new goroutines per new file descriptor", ratio(p.PerNewFD))
	b.WriteString(t.String())
	if p.PerRotation != nil && *p.PerRotation >= 0.5 {
		fmt.Fprintf(b, "About %s per rotation points at something a stream starts and "+
			"does not wait for when it rotates.\n\n", leakedCount(*p.PerRotation))
	}
}

// leakedCount reads "1 leaked goroutine" or "2.5 leaked goroutines".
func leakedCount(f float64) string {
	if num(f) == "1" {
		return "1 leaked goroutine"
	}
	return num(f) + " leaked goroutines"
}

// ratio formats an optional ratio; nil means it divides by zero.
func ratio(f *float64) string {
	if f == nil {
		return "– (nothing to divide by)"
	}
	return num(*f)
}

// shortProjection is the run below which projections are flagged as
// extrapolated from a short run.
const shortProjection = 10 * time.Minute

// writeProjections writes the growth extrapolated to an hour, day, week.
func (r *report) writeProjections(b *strings.Builder) {
	p := r.res.Projections
	b.WriteString("## Projections\n\n")
	b.WriteString("The Theil-Sen slopes carried forward; a real leak often speeds up " +
		"or levels off, so read these as orders of magnitude.")
	if d := r.res.Duration; d > 0 && d < shortProjection {
		fmt.Fprintf(b, " They are extrapolated from a short run (%s from first to last "+
			"checkpoint): a week is far beyond what was measured.", span(d))
	}
	if g := r.res.Growth.Goroutines; g != nil && g.Slope > 0 &&
		math.Abs(g.LastThird) < flatRate && (g.Points == 0 || g.Points >= minTrendPoints) {
		b.WriteString(" The last third of this run is flat, so the goroutine figures " +
			"overstate a run that levelled off.")
	}
	b.WriteString("\n\n")
	t := newTable("series", "per hour>", "per day>", "per week>", "limit>", "reached in>")
	t.add("goroutines", signed(p.GoroutinesPerHour), signed(p.GoroutinesPerDay),
		signed(p.GoroutinesPerWeek), "–", "–")
	t.add("open file descriptors", signed(p.FDsPerHour), signed(p.FDsPerDay),
		signed(p.FDsPerWeek), limitCell(p.MaxFDs, big), reachCell(p.MaxFDs, p.TimeToMaxFDs))
	if p.MemoryPerHour != 0 || p.MemoryLimit > 0 {
		t.add("resident memory", change(p.MemoryPerHour, bytesHuman), change(24*p.MemoryPerHour, bytesHuman),
			change(168*p.MemoryPerHour, bytesHuman), limitCell(p.MemoryLimit, bytesHuman),
			reachCell(p.MemoryLimit, p.TimeToMemoryLimit))
	}
	b.WriteString(t.String())
}

func limitCell(limit float64, f func(float64) string) string {
	if limit <= 0 {
		return "unknown"
	}
	return f(limit)
}

func reachCell(limit float64, d *time.Duration) string {
	switch {
	case limit <= 0:
		return "–"
	case d == nil:
		return "never at this growth"
	}
	return span(*d)
}

// noCompleteness says why the run carries no completeness data.
func (r *report) noCompleteness() string {
	info := r.run.Info
	switch {
	case importedFrom(info) != "":
		return "The run was imported from " + CodeCell(importedFrom(info)) + ", which " +
			"carries no line sequence numbers, so completeness could not be checked."
	case info.Incomplete:
		return "The run was interrupted before the count of lines at its end, so " +
			"sequence numbers were not checked."
	}
	return "The run carries no completeness data: the emitters or the sink are " +
		"not logcap's own, so sequence numbers could not be checked."
}

// maxLossRows caps the per-container completeness table.
const maxLossRows = 20

// writeCompleteness writes lost and repeated lines per container.
func (r *report) writeCompleteness(b *strings.Builder) {
	b.WriteString("## Data completeness\n\n")
	c := r.res.Completeness
	if c == nil {
		b.WriteString(r.noCompleteness() + "\n\n")
		return
	}
	t := newTable("containers>", "emitted>", "captured>", "lost>", "repeated>",
		"final line missing>", "verdict")
	t.add(fmt.Sprint(c.Containers), big(float64(c.Emitted)), big(float64(c.Captured)),
		big(float64(c.Lost)), big(float64(c.Repeated)), fmt.Sprint(c.NoFinal),
		verdictCell(c.Verdict))
	b.WriteString(t.String())
	if len(c.Worst) == 0 {
		return
	}
	bad := r.containersWithLoss()
	fmt.Fprintf(b, "%s lost or repeated lines", capitalize(plural(int64(max(bad,
		len(c.Worst))), "container", "containers")))
	if bad > len(c.Worst) {
		fmt.Fprintf(b, "; the %d worst:\n\n", len(c.Worst))
	} else {
		b.WriteString(":\n\n")
	}
	t = newTable("container", "emitted>", "captured>", "lost>", "repeated>", "final line")
	for _, w := range c.Worst[:min(len(c.Worst), maxLossRows)] {
		t.add(CodeCell(w.Name), big(float64(w.Emitted)), big(float64(w.Captured)),
			big(float64(w.Lost)), big(float64(w.Repeated)), yesNo(w.FinalSeen))
	}
	b.WriteString(t.String())
}

// containersWithLoss counts the containers of run.json that lost or
// repeated a line.
func (r *report) containersWithLoss() int {
	cm := r.run.Info.Completeness
	if cm == nil {
		return 0
	}
	n := 0
	for _, c := range cm.Containers {
		if c.Lost > 0 || c.Repeated > 0 {
			n++
		}
	}
	return n
}

func yesNo(ok bool) string {
	if ok {
		return "seen"
	}
	return "**missing**"
}

// writeRestarts lists restarts of the target, if any.
func (r *report) writeRestarts(b *strings.Builder) {
	if len(r.res.Restarts) == 0 {
		return
	}
	b.WriteString("## Restarts of the target\n\n")
	t := newTable("before checkpoint>", "elapsed min>", "old process started", "new process started")
	for _, rs := range r.res.Restarts {
		t.add(fmt.Sprint(rs.Index), minutes(rs.Elapsed),
			rs.Before.UTC().Format(time.RFC3339), rs.After.UTC().Format(time.RFC3339))
	}
	b.WriteString(t.String())
}

// writeNotes lists remarks that do not change the verdict.
func (r *report) writeNotes(b *strings.Builder) {
	if len(r.res.Notes) == 0 {
		return
	}
	b.WriteString("## Notes\n\n")
	seen := map[string]bool{}
	for _, n := range r.res.Notes {
		if seen[n] {
			continue // the soak and run.json may both name the capturer
		}
		seen[n] = true
		fmt.Fprintf(b, "- %s\n", EscapeCell(n))
	}
	b.WriteString("\n")
}
