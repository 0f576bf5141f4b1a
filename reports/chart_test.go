package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// walkXML decodes every token of doc and counts the start elements by name;
// it fails the test if doc is not well-formed XML.
func walkXML(t *testing.T, doc []byte) map[string]int {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	count := map[string]int{}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return count
		}
		require.NoError(t, err, "the SVG is not well-formed XML")
		if se, ok := tok.(xml.StartElement); ok {
			count[se.Name.Local]++
		}
	}
}

func TestWriteSVGWellFormed(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name    string
		chart   Chart
		circles int
	}{
		{"two series", Chart{
			Title: `Goroutines & fds <"run" 'a'>`, Minutes: []float64{2, 7, 12, 17},
			Series: []Series{
				{Name: "goroutines", Values: []float64{58, 59, 61, 61}},
				{Name: "open <fds>", Values: []float64{31, 32, 33, 33}},
			},
			Baseline: 2, WarmupEnd: 2,
		}, 8},
		{"missing values", Chart{
			Minutes:  []float64{0, 1, 2},
			Series:   []Series{{Name: "goroutines", Values: []float64{nan, 5, nan}}},
			Baseline: nan, WarmupEnd: nan,
		}, 1},
		{"one checkpoint", Chart{
			Minutes:  []float64{3},
			Series:   []Series{{Name: "goroutines", Values: []float64{12}}},
			Baseline: 3,
		}, 1},
		{"flat at zero", Chart{
			Minutes:  []float64{0, 1},
			Series:   []Series{{Name: "fds", Values: []float64{0, 0}}},
			Baseline: nan,
		}, 2},
		{"no series", Chart{Baseline: nan}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, tt.chart.WriteSVG(&b))
			got := walkXML(t, b.Bytes())
			assert.Equal(t, 1, got["svg"], "svg elements")
			assert.Equal(t, tt.circles, got["circle"], "a dot per checkpoint with a value")
			assert.Equal(t, len(tt.chart.Series), got["g"], "a panel per series")
			assert.NotContains(t, b.String(), "NaN")
		})
	}
}

func TestWriteSVGMarksBaseline(t *testing.T) {
	c := Chart{Minutes: []float64{2, 7}, Baseline: 2, WarmupEnd: 4,
		Marks:  []Mark{{Minute: 5, Label: "restart <1>"}},
		Series: []Series{{Name: "goroutines", Values: []float64{1, 2}}}}
	var b bytes.Buffer
	require.NoError(t, c.WriteSVG(&b))
	assert.Contains(t, b.String(), ">baseline</text>")
	assert.Contains(t, b.String(), ">warm-up</text>")
	assert.Contains(t, b.String(), ">restart &lt;1&gt;</text>")
	walkXML(t, b.Bytes())
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteChartFailingWriter(t *testing.T) {
	c := Chart{Minutes: []float64{1}, Series: []Series{{Name: "g", Values: []float64{1}}}}
	assert.ErrorContains(t, c.WriteSVG(failingWriter{}), "disk full")
	assert.ErrorContains(t, c.WriteMermaid(failingWriter{}), "disk full")
}

func TestWriteMermaid(t *testing.T) {
	c := Chart{
		Minutes: []float64{2, 7, 12},
		Series: []Series{
			{Name: `goroutines "all"`, Values: []float64{58, math.NaN(), 61.5}},
			{Name: "empty", Values: []float64{math.NaN(), math.NaN(), math.NaN()}},
		},
	}
	var b bytes.Buffer
	require.NoError(t, c.WriteMermaid(&b))
	want := "```mermaid\nxychart-beta\n" +
		"    title \"goroutines 'all'\"\n" +
		"    x-axis \"elapsed minutes\" [\"2\", \"12\"]\n" +
		"    y-axis \"goroutines 'all'\" 0 --> 80\n" +
		"    line [58, 61.5]\n" +
		"```\n\n"
	assert.Equal(t, want, b.String())
}

func TestWriteMermaidManyCheckpoints(t *testing.T) {
	c := Chart{Series: []Series{{Name: "goroutines"}}}
	for i := range 61 {
		c.Minutes = append(c.Minutes, float64(i))
		c.Series[0].Values = append(c.Series[0].Values, 60)
	}
	var b bytes.Buffer
	require.NoError(t, c.WriteMermaid(&b))
	assert.Contains(t, b.String(), "x-axis \"elapsed minutes\" 0 --> 60\n")
	assert.Equal(t, 60, strings.Count(b.String(), ", 60"), "every checkpoint drawn")
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   []float64
	}{
		{0, 61, []float64{0, 20, 40, 60, 80}},
		{0, 1, []float64{0, 0.25, 0.5, 0.75, 1}},
		{0, 660, []float64{0, 200, 400, 600, 800}},
		{5, 5, []float64{5, 5.25, 5.5, 5.75, 6}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, niceTicks(tt.lo, tt.hi, 5), "niceTicks(%v, %v)", tt.lo, tt.hi)
	}
}

func TestThin(t *testing.T) {
	var xs, ys []float64
	for i := range 1000 {
		xs = append(xs, float64(i))
		ys = append(ys, float64(i%7))
	}
	ys[500] = 99 // a spike must survive thinning
	tx, ty := thin(xs, ys)
	assert.Len(t, tx, maxMermaidPoints)
	assert.Len(t, ty, maxMermaidPoints)
	assert.Contains(t, ty, 99.0)
	assert.IsIncreasing(t, tx)

	short := []float64{1, 2}
	gx, gy := thin(short, short)
	assert.Equal(t, short, gx)
	assert.Equal(t, short, gy)
}
