package reports

import (
	"bytes"
	"testing"

	"github.com/logcap/logcap/analyze"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// renderMD returns the report of run and res as a string.
func renderMD(t *testing.T, run analyze.Run, res analyze.Result) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, Markdown(&b, run, res))
	return b.String()
}

// An interrupted run without completeness data says it was interrupted,
// not that the emitters are someone else's.
func TestReportInterruptedRunSaysWhyNoCompleteness(t *testing.T) {
	run, res := inconclusiveFixture()
	res.Completeness = nil
	md := renderMD(t, run, res)
	assert.Contains(t, md, "interrupted before the count of lines at its end")
	assert.NotContains(t, md, "not logcap's own")
}

// With fewer than three checkpoints from the baseline nothing is said of
// the last third.
func TestReportTooFewCheckpointsForALastThird(t *testing.T) {
	run, res := inconclusiveFixture()
	g := *res.Growth.Goroutines
	g.Points, g.LastThird, g.SlopeLow, g.SlopeHigh = 1, 0, 0, 0
	res.Growth.Goroutines = &g
	md := renderMD(t, run, res)
	assert.Contains(t, md, "too few checkpoints to tell a trend")
	assert.NotContains(t, md, "the last third is flat")
}

// Containers whose final line never arrived were checked only up to the
// highest number seen: the report must not say every line arrived.
func TestReportCompletenessWithoutFinalLines(t *testing.T) {
	run, res := passFixture()
	run.Info.Containers = 12
	res.Completeness = &analyze.CompletenessResult{Verdict: analyze.Pass, Containers: 23,
		Emitted: 2300, Captured: 2300, NoFinal: 5}
	md := renderMD(t, run, res)
	assert.NotContains(t, md, "Every line of the")
	assert.Contains(t, md, "only 18 of the 23 containers were checked to their final line; "+
		"for the other 5")
	assert.Contains(t, md, "12 containers (23 over the run with churn)")
}

// A final profile and dump that could not be read are named as missing, and
// the stacks name the profile used instead.
func TestReportMissingFinalProfileAndDump(t *testing.T) {
	run, res := failFixture()
	res.FinalProfile, res.Dump, res.Blocked = "pprof/011.pb.gz", "", nil
	md := renderMD(t, run, res)
	assert.Contains(t, md, "The final profile `pprof/012.pb.gz` is missing or could not be "+
		"read, so `pprof/011.pb.gz`, the last readable one, is used instead")
	assert.Contains(t, md, "`pprof/011.pb.gz` minus `pprof/000.pb.gz`")
	assert.Contains(t, md, "The final goroutine dump `pprof/012.txt` is missing or could "+
		"not be read")
	assert.NotContains(t, md, "No goroutine of")
}

// An imported run has no wall clock and no logcap version: the report says
// it was imported and shows times relative to the first row.
func TestReportImportedRun(t *testing.T) {
	run, res := passFixture()
	run.Info.Builtin, run.Info.Version, run.Info.Commit = false, "", ""
	run.Info.Command = []string{"logcap", "analyze", "import", "tl.csv"}
	run.Info.Flags = map[string]string{"source": "tl.csv", "log-level": "debug",
		"help": "false", "log-format": "json"}
	md := renderMD(t, run, res)
	assert.Contains(t, md, "imported from `tl.csv`, times relative to its first row")
	assert.Contains(t, md, "| logcap version | none: imported from `tl.csv` |")
	assert.Contains(t, md, "| # | elapsed min |")
	assert.NotContains(t, md, "time (UTC)")
	assert.NotContains(t, md, "| started |")
	assert.NotContains(t, md, "built without version information")
	for _, f := range []string{"--source", "--help", "--log-level", "--log-format"} {
		assert.NotContains(t, md, "| `"+f+"` |")
	}
}

// Phase counts are goroutines, whole numbers; a phase right after the
// baseline is "settling", never "warm-up".
func TestReportPhasesRoundAndSettle(t *testing.T) {
	run, res := passFixture()
	res.Phases = []analyze.Phase{{Kind: analyze.PhaseSettling, StartIndex: 0, EndIndex: 3,
		Start: 120, End: 1020, Rate: 1.5, From: 58.4, To: 60.6}}
	md := renderMD(t, run, res)
	assert.Contains(t, md, "| settling | 0–3 |")
	assert.Contains(t, md, "| 58 → 61 |")
}
