package reports

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/logcap/logcap/analyze"
)

// writeMetadata writes how the run was started: versions, host, target and
// flags, so a stale binary or a different engine shows.
func (r *report) writeMetadata(b *strings.Builder) {
	info := r.run.Info
	b.WriteString("## Run\n\n")
	t := newTable("", "")
	add := func(k, v string) {
		if v != "" {
			t.add(k, v)
		}
	}
	add("run id", CodeCell(info.RunID))
	add("run directory", CodeCell(r.run.Dir))
	src := importedFrom(info)
	if src != "" {
		add("imported from", CodeCell(src)+"; times are relative to its first row")
	} else {
		add("started", timeCell(info.StartedAt))
		add("ended", timeCell(info.EndedAt))
	}
	add("planned duration", durCell(info.Duration))
	add("warm-up", durCell(info.Warmup))
	add("checkpoint interval", durCell(info.Interval))
	if src == "" {
		add("target", CodeCell(info.Target))
	}
	if info.Builtin {
		add("capturer", "logcap's own, started by the soak")
	}
	if info.CapturerBinary != "" {
		sum := CodeCell(info.CapturerSHA256)
		if sum == "" {
			sum = "not recorded"
		}
		add("capturer binary", CodeCell(info.CapturerBinary)+" (sha256 "+sum+")")
	}
	if info.Containers > 0 {
		add("containers", fmt.Sprint(info.Containers))
	}
	if info.MaxStreams > 0 {
		add("stream pool capacity", fmt.Sprint(info.MaxStreams))
	}
	add("rotation interval", durCell(info.RotateEvery))
	if src != "" && info.Version == "" && info.Commit == "" {
		add("logcap version", "none: imported from "+CodeCell(src))
	} else {
		add("logcap version", versionCell(info.Version, info.Commit))
	}
	add("Go version", EscapeCell(info.GoVersion))
	add("Docker engine", EscapeCell(info.EngineVersion))
	add("host", EscapeCell(info.Host))
	b.WriteString(t.String())
	r.writeFlags(b)
}

// hiddenFlags are recorded in run.json but say nothing of the run: help and
// logging, and the source file of an imported run (not a flag at all).
var hiddenFlags = map[string]bool{
	"help": true, "log-format": true, "log-level": true, "source": true,
}

// writeFlags lists the flags the run was started with, sorted by name.
func (r *report) writeFlags(b *strings.Builder) {
	flags := r.run.Info.Flags
	if len(flags) == 0 {
		return
	}
	t := newTable("flag", "value")
	for _, k := range slices.Sorted(maps.Keys(flags)) {
		if !hiddenFlags[k] {
			t.add(CodeCell("--"+k), CodeCell(flags[k]))
		}
	}
	if len(t.rows) == 0 {
		return
	}
	b.WriteString("Flags:\n\n" + t.String())
}

func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func durCell(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return span(d)
}

func versionCell(version, commit string) string {
	switch {
	case version == "" && commit == "":
		return "**unknown**: the binary was built without version information"
	case commit == "":
		return EscapeCell(version)
	}
	return EscapeCell(version) + " (commit " + CodeCell(commit) + ")"
}

// writeReproduce writes the command line of the run and how to re-score it.
func (r *report) writeReproduce(b *strings.Builder) {
	b.WriteString("## How to reproduce\n\n")
	if cmd := r.run.Info.Command; len(cmd) > 0 {
		b.WriteString("The run was started with:\n\n```sh\n")
		b.WriteString(shellJoin(cmd) + "\n```\n\n")
	} else {
		b.WriteString("run.json does not record the command line of this run.\n\n")
	}
	dir := r.run.Dir
	if dir == "" {
		dir = "RUN_DIR"
	}
	b.WriteString("To score it again, with other thresholds if need be (`--help` " +
		"lists them), and rewrite this report:\n\n```sh\n")
	b.WriteString("logcap analyze " + shellQuote(dir) + "\n```\n\n")
}

// shellJoin quotes each argument for a POSIX shell where needed.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// shellQuote returns s as one shell word: unchanged when it holds only safe
// characters, else in single quotes.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, c := range s {
		if !strings.ContainsRune("-_./:=@%+,", c) && !isAlnum(c) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func isAlnum(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// writeVerdictRules says how the verdict is reached, with the thresholds
// this run was scored with. docs/VERDICTS.md has the rules in full.
func (r *report) writeVerdictRules(b *strings.Builder) {
	s := r.res.Settings
	b.WriteString("## How the verdict is reached\n\n")
	b.WriteString("Growth is measured from the baseline, the first checkpoint after " +
		"the warm-up, per minute of real elapsed time, with a Theil-Sen slope and " +
		"its 95% interval over the whole run and over its last third. Each " +
		"criterion is scored PASS, FAIL or INCONCLUSIVE; one switched off is " +
		"skipped.\n\n")
	fmt.Fprintf(b, "- **FAIL** when any criterion, liveness or completeness fails: "+
		"goroutines growing by %s or more per minute (the slope interval at or above "+
		"it, or the growth from baseline at or above it with the last third still "+
		"rising), file "+
		"descriptors up by %s or more over the run, an unhealthy checkpoint, a stream "+
		"pool below saturation, rotations or lines that stop rising, lines lost or "+
		"repeated.\n", num(s.MaxGoroutineGrowth), num(s.MaxFDGrowth))
	fmt.Fprintf(b, "- **INCONCLUSIVE** when nothing fails but the run cannot decide: "+
		"fewer than %d checkpoints or less than %s from baseline to final, a slope "+
		"interval that reaches the threshold or is wider than %s times it (too "+
		"noisy), growth that levelled off (a plateau: run longer), a metric that "+
		"never appeared, or a restart of the target.\n",
		s.MinCheckpoints, durOr(s.MinDuration, "0s"), num(s.MaxNoise))
	fmt.Fprintf(b, "- **PASS** otherwise: goroutine growth strictly below %s per "+
		"minute (the slope interval's upper bound below it).\n\n", num(s.MaxGoroutineGrowth))
	if len(s.Disabled) > 0 {
		fmt.Fprintf(b, "Switched off for this run: %s.\n\n",
			EscapeCell(strings.Join(s.Disabled, ", ")))
	}
	fmt.Fprintf(b, "An interrupted run is marked INCOMPLETE and scored on what it "+
		"recorded. The rules in full: [docs/VERDICTS.md](%s).\n", VerdictsURL)
}

// durOr formats d, or returns alt when d is not positive.
func durOr(d time.Duration, alt string) string {
	if d <= 0 {
		return alt
	}
	return span(d)
}

// importedFrom is the file an imported run was read from, or "" for a run
// of the soak. Runs imported before run.json had imported_from are told by
// their command line.
func importedFrom(info analyze.RunInfo) string {
	if info.ImportedFrom != "" {
		return info.ImportedFrom
	}
	c := info.Command
	if len(c) == 4 && c[1] == "analyze" && c[2] == "import" {
		return c[3]
	}
	return ""
}
