package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// listDir returns the names in dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	run, res := failFixture()
	require.NoError(t, Write(dir, run, res))

	assert.ElementsMatch(t, []string{ReportFile, SummaryFile, ChartFile}, listDir(t, dir),
		"the three files and no temporary left over")
	md, err := os.ReadFile(filepath.Join(dir, ReportFile))
	require.NoError(t, err)
	var want bytes.Buffer
	require.NoError(t, Markdown(&want, run, res))
	assert.Equal(t, want.String(), string(md))

	var s SummaryJSON
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &s))
	assert.Equal(t, "FAIL", s.Verdict)

	svg, err := os.ReadFile(filepath.Join(dir, ChartFile))
	require.NoError(t, err)
	walkXML(t, svg)

	info, err := os.Stat(filepath.Join(dir, ReportFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm())
}

func TestWriteReplacesOldReport(t *testing.T) {
	dir := t.TempDir()
	run, res := inconclusiveFixture()
	require.NoError(t, Write(dir, run, res))
	run, res = passFixture()
	require.NoError(t, Write(dir, run, res))

	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	require.NoError(t, err)
	assert.Contains(t, string(b), `"verdict": "PASS"`)
	assert.Len(t, listDir(t, dir), 3)
}

// TestWriteFailureKeepsOldReport makes the first rename fail (a directory
// is in the way of chart.svg, which stops root too) and checks that the
// previous report and summary are untouched and no temporary is left.
func TestWriteFailureKeepsOldReport(t *testing.T) {
	dir := t.TempDir()
	oldReport := []byte("# the previous report\n")
	oldSummary := []byte(`{"verdict":"PASS"}` + "\n")
	require.NoError(t, os.WriteFile(filepath.Join(dir, ReportFile), oldReport, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, SummaryFile), oldSummary, 0o644))
	blocker := filepath.Join(dir, ChartFile)
	require.NoError(t, os.MkdirAll(filepath.Join(blocker, "in-the-way"), 0o755))

	run, res := failFixture()
	err := Write(dir, run, res)
	require.ErrorContains(t, err, "replace chart.svg")

	got, rerr := os.ReadFile(filepath.Join(dir, ReportFile))
	require.NoError(t, rerr)
	assert.Equal(t, oldReport, got, "report.md must be the previous one")
	got, rerr = os.ReadFile(filepath.Join(dir, SummaryFile))
	require.NoError(t, rerr)
	assert.Equal(t, oldSummary, got, "summary.json must be the previous one")
	assert.ElementsMatch(t, []string{ReportFile, SummaryFile, ChartFile}, listDir(t, dir),
		"no temporary file left behind")
}

func TestWriteMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	run, res := passFixture()
	err := Write(dir, run, res)
	require.ErrorContains(t, err, "create temporary")
	_, serr := os.Stat(dir)
	assert.True(t, os.IsNotExist(serr), "Write must not create the run directory")
}

func TestMarkdownFailingWriter(t *testing.T) {
	run, res := passFixture()
	assert.ErrorContains(t, Markdown(failingWriter{}, run, res), "write report: disk full")
}
