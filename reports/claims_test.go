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
