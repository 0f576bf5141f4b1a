package reports

import (
	"fmt"
	"io"
	"strings"
)

// maxMermaidLabels is the most checkpoints a Mermaid chart labels one by
// one; past it the x axis becomes a plain range of minutes, because
// Mermaid spaces points evenly and crowded labels overlap.
const maxMermaidLabels = 30

// maxMermaidPoints is the most points a Mermaid line gets; a longer run is
// thinned to the highest value of each group of checkpoints, so a spike
// stays visible. chart.svg keeps every point.
const maxMermaidPoints = 240

// mermaidText drops what would end a quoted Mermaid string.
var mermaidText = strings.NewReplacer(`"`, "'", "\n", " ", "\r", " ")

// WriteMermaid writes one fenced `xychart-beta` block per series, which
// GitHub renders as a line chart. Mermaid has a single y axis, so each
// series gets its own chart; checkpoints without a value are left out.
// The blocks follow Mermaid's documented xychart syntax but have not been
// rendered by Mermaid or GitHub here: no renderer was reachable.
func (c Chart) WriteMermaid(w io.Writer) error {
	var b strings.Builder
	for _, s := range c.Series {
		xs, ys := thin(c.points(s))
		if len(xs) == 0 {
			continue
		}
		writeMermaidSeries(&b, s.Name, xs, ys)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write mermaid chart: %w", err)
	}
	return nil
}

// thin keeps at most maxMermaidPoints points: the highest of each group.
func thin(xs, ys []float64) ([]float64, []float64) {
	n := len(xs)
	if n <= maxMermaidPoints {
		return xs, ys
	}
	var tx, ty []float64
	for g := range maxMermaidPoints {
		lo, hi := g*n/maxMermaidPoints, (g+1)*n/maxMermaidPoints
		best := lo
		for i := lo + 1; i < hi; i++ {
			if ys[i] > ys[best] {
				best = i
			}
		}
		tx, ty = append(tx, xs[best]), append(ty, ys[best])
	}
	return tx, ty
}

// writeMermaidSeries writes the block of one series.
func writeMermaidSeries(b *strings.Builder, name string, xs, ys []float64) {
	yt := yRange(ys)
	b.WriteString("```mermaid\nxychart-beta\n")
	fmt.Fprintf(b, "    title \"%s\"\n", mermaidText.Replace(name))
	if len(xs) <= maxMermaidLabels {
		labels := make([]string, len(xs))
		for i, x := range xs {
			labels[i] = `"` + num(x) + `"`
		}
		fmt.Fprintf(b, "    x-axis \"elapsed minutes\" [%s]\n", strings.Join(labels, ", "))
	} else {
		fmt.Fprintf(b, "    x-axis \"elapsed minutes\" %s --> %s\n", num(xs[0]), num(xs[len(xs)-1]))
	}
	fmt.Fprintf(b, "    y-axis \"%s\" %s --> %s\n",
		mermaidText.Replace(name), num(yt[0]), num(yt[len(yt)-1]))
	vals := make([]string, len(ys))
	for i, y := range ys {
		vals[i] = num(y)
	}
	fmt.Fprintf(b, "    line [%s]\n", strings.Join(vals, ", "))
	b.WriteString("```\n\n")
}
