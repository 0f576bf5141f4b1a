package reports

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logcap/logcap/analyze"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixtures are the scored runs the golden files are rendered from.
var fixtures = []struct {
	name string
	make func() (analyze.Run, analyze.Result)
}{
	{"pass", passFixture},
	{"fail", failFixture},
	{"inconclusive", inconclusiveFixture},
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./reports -update to create it")
	require.Equal(t, string(want), string(got), "%s differs; rerun with -update if intended",
		path)
}

func TestMarkdownGolden(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			run, res := f.make()
			var b bytes.Buffer
			require.NoError(t, Markdown(&b, run, res))
			golden(t, f.name+".md", b.Bytes())
		})
	}
}

func TestSummaryGolden(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			run, res := f.make()
			got, err := marshalSummary(Summary(run, res))
			require.NoError(t, err)
			golden(t, f.name+".json", got)

			var back map[string]any
			require.NoError(t, json.Unmarshal(got, &back))
			require.Equal(t, string(res.Verdict), back["verdict"])
		})
	}
}

func TestChartGolden(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			run, res := f.make()
			var b bytes.Buffer
			require.NoError(t, newReport(run, res).chart().WriteSVG(&b))
			walkXML(t, b.Bytes())
			golden(t, f.name+".svg", b.Bytes())
		})
	}
}

// TestMarkdownLongRun checks a day of checkpoints: timeline folded, Mermaid
// thinned and said so, SVG without a dot per checkpoint.
func TestMarkdownLongRun(t *testing.T) {
	run, res := dayFixture()
	var b bytes.Buffer
	require.NoError(t, Markdown(&b, run, res))
	md := b.String()
	for _, want := range []string{
		"<details><summary>All 1440 checkpoints</summary>",
		"With 1440 checkpoints, the charts below show the highest value",
		"185 more stacks grew; summary.json lists them all.",
	} {
		assert.True(t, strings.Contains(md, want), "report lacks %q", want)
	}

	var svg bytes.Buffer
	require.NoError(t, newReport(run, res).chart().WriteSVG(&svg))
	assert.Zero(t, walkXML(t, svg.Bytes())["circle"])
}
