package reports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/logcap/logcap/analyze"
)

// VerdictsURL is where the rules behind a verdict are written out; the
// report links to it because it is read away from the repository.
const VerdictsURL = "https://github.com/logcap/logcap/blob/main/docs/VERDICTS.md"

// Markdown writes the checkpoint report of a scored run to w in GitHub
// Markdown: the verdict first, then the summary, criteria, values,
// timeline, chart, phases, stacks, arithmetic, projections, completeness,
// run metadata and how to reproduce the run.
func Markdown(w io.Writer, run analyze.Run, res analyze.Result) error {
	r := newReport(run, res)
	var b strings.Builder
	for _, section := range []func(*strings.Builder){
		r.writeHeader,
		r.writeSummary,
		r.writeCriteria,
		r.writeValues,
		r.writeTimeline,
		r.writeChart,
		r.writePhases,
		r.writeStacks,
		r.writeBlocked,
		r.writePerStream,
		r.writeProjections,
		r.writeCompleteness,
		r.writeRestarts,
		r.writeNotes,
		r.writeMetadata,
		r.writeReproduce,
		r.writeVerdictRules,
	} {
		section(&b)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// report holds a run and its result while the sections are written.
type report struct {
	run analyze.Run
	res analyze.Result
	// base and final are the timeline rows of the baseline and the last
	// checkpoint; nil when the timeline is empty.
	base, final *analyze.TimelineRow
}

// newReport finds the baseline: the first checkpoint, or after a restart
// of the target the first checkpoint of the last process, as analyze
// measures growth from there.
func newReport(run analyze.Run, res analyze.Result) *report {
	r := &report{run: run, res: res}
	n := len(res.Timeline)
	if n == 0 {
		return r
	}
	r.base, r.final = &res.Timeline[0], &res.Timeline[n-1]
	if k := len(res.Restarts); k > 0 {
		for i := range res.Timeline {
			if res.Timeline[i].Index == res.Restarts[k-1].Index {
				r.base = &res.Timeline[i]
			}
		}
	}
	return r
}

// incomplete reports whether the run was interrupted.
func (r *report) incomplete() bool {
	return r.res.Incomplete || r.run.Info.Incomplete
}

// minutes is the span from baseline to final in minutes.
func (r *report) minutes() float64 {
	if r.base == nil || r.final == nil {
		return 0
	}
	return r.final.Minutes - r.base.Minutes
}

// writeHeader writes the title, the verdict and its reasons.
func (r *report) writeHeader(b *strings.Builder) {
	info := r.run.Info
	title := "Soak report"
	if info.RunID != "" {
		title += " " + info.RunID
	}
	fmt.Fprintf(b, "# %s\n\n", EscapeCell(title))

	verdict := string(r.res.Verdict)
	if verdict == "" {
		verdict = "UNSCORED"
	}
	line := "## Verdict: **" + verdict + "**"
	if r.incomplete() {
		line += " · **INCOMPLETE**"
	}
	b.WriteString(line + "\n\n")
	if r.incomplete() {
		fmt.Fprintf(b, "> [!WARNING]\n> The run was interrupted after %s of the %s "+
			"it was meant to last. Everything below covers only what was measured "+
			"before it stopped.\n\n", span(r.ranFor()), span(info.Duration))
	}
	for _, reason := range r.res.Reasons {
		fmt.Fprintf(b, "- %s\n", reasonLine(reason))
	}
	if len(r.res.Reasons) > 0 {
		b.WriteString("\n")
	}
	b.WriteString(r.scope() + "\n\n")
}

// reasonLine writes a reason of the verdict; one that starts with a
// criterion's name ("goroutines: too short") gets the criterion's title.
func reasonLine(reason string) string {
	name, rest, ok := strings.Cut(reason, ": ")
	if _, known := criterionTitles[name]; ok && known {
		return "**" + criterionTitle(name) + "**: " + EscapeCell(rest)
	}
	return capitalize(EscapeCell(reason))
}

// ranFor is how long the run lasted: from its start to its end when
// run.json has both, else from the first to the last checkpoint.
func (r *report) ranFor() time.Duration {
	info := r.run.Info
	if !info.StartedAt.IsZero() && info.EndedAt.After(info.StartedAt) {
		return info.EndedAt.Sub(info.StartedAt)
	}
	return r.res.Duration
}

// scope is the one line that says what was measured and for how long.
func (r *report) scope() string {
	info := r.run.Info
	var parts []string
	src := importedFrom(info)
	if info.Builtin {
		parts = append(parts, "logcap's own capturer")
	} else if info.Target != "" && src == "" {
		parts = append(parts, CodeCell(info.Target))
	}
	if info.Containers > 0 {
		parts = append(parts, r.containersPhrase())
	}
	parts = append(parts, span(r.res.Duration)+" from first to last checkpoint")
	parts = append(parts, plural(int64(r.res.Checkpoints), "checkpoint", "checkpoints"))
	if src != "" {
		parts = append(parts, "imported from "+CodeCell(src)+", times relative to its "+
			"first row")
	} else if !info.StartedAt.IsZero() {
		parts = append(parts, "started "+info.StartedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return strings.Join(parts, " · ")
}

// containersPhrase is the containers run at a time and, when churn replaced
// some, how many there were over the run.
func (r *report) containersPhrase() string {
	n := r.run.Info.Containers
	s := plural(int64(n), "container", "containers")
	if c := r.res.Completeness; c != nil && c.Containers > n {
		s += fmt.Sprintf(" (%s over the run with churn)", big(float64(c.Containers)))
	}
	return s
}

// writeSummary writes the summary in sentences.
func (r *report) writeSummary(b *strings.Builder) {
	b.WriteString("## Summary\n\n")
	for _, p := range r.summaryParagraphs() {
		b.WriteString(p + "\n\n")
	}
}
