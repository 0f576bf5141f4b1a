package reports

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Layout of the SVG chart, in pixels.
const (
	svgWidth    = 760
	svgLeft     = 70
	svgRight    = 24
	svgTop      = 72
	panelHeight = 180
	panelGap    = 56
	svgBottom   = 48
)

// panelColors are the line colours of successive panels.
var panelColors = []string{"#1f6feb", "#1a7f37", "#9a6700", "#8250df"}

// halo draws a white outline behind a label so a line under it does not
// hide it.
const halo = `stroke="#ffffff" stroke-width="3" paint-order="stroke"`

// svgText escapes s for text and attribute values of SVG.
var svgText = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;",
)

// frame maps data coordinates of one panel to pixels.
type frame struct {
	x0, x1 float64 // minutes at the left and right edge
	y0, y1 float64 // values at the bottom and top edge
	top    float64 // pixel row of the panel's top edge
}

func (f frame) px(x float64) float64 {
	w := float64(svgWidth - svgLeft - svgRight)
	return svgLeft + (x-f.x0)/(f.x1-f.x0)*w
}

func (f frame) py(y float64) float64 {
	return f.top + panelHeight - (y-f.y0)/(f.y1-f.y0)*panelHeight
}

// WriteSVG draws the chart as a standalone SVG document: one panel per
// series over a shared axis of elapsed minutes, a dot at every checkpoint,
// the warm-up shaded and the baseline marked with a dashed line.
func (c Chart) WriteSVG(w io.Writer) error {
	var b strings.Builder
	height := svgTop + len(c.Series)*(panelHeight+panelGap) + svgBottom - panelGap
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" `+
		`viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		svgWidth, height, svgWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n",
		svgLeft, svgText.Replace(c.Title))
	fmt.Fprintf(&b, `<text x="%d" y="42" fill="#57606a">%s</text>`+"\n",
		svgLeft, svgText.Replace(c.legend()))
	xt := c.xTicks()
	for i, s := range c.Series {
		f := frame{x0: xt[0], x1: xt[len(xt)-1], top: float64(svgTop + i*(panelHeight+panelGap))}
		c.writePanel(&b, f, s, xt, panelColors[i%len(panelColors)])
	}
	b.WriteString("</svg>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write svg chart: %w", err)
	}
	return nil
}

// legend explains the marks of the panels.
func (c Chart) legend() string {
	parts := []string{"one dot per checkpoint"}
	if len(c.Minutes) > maxDots {
		parts = []string{fmt.Sprintf("%d checkpoints", len(c.Minutes))}
	}
	if !math.IsNaN(c.WarmupEnd) && c.WarmupEnd > 0 {
		parts = append(parts, "shaded: warm-up")
	}
	if !math.IsNaN(c.Baseline) {
		parts = append(parts, "dashed line: baseline")
	}
	if len(c.Marks) > 0 {
		parts = append(parts, "red dotted: events")
	}
	return strings.Join(parts, " · ")
}

// xTicks returns the ticks of the shared time axis.
func (c Chart) xTicks() []float64 {
	lo, hi := 0.0, 1.0
	for _, m := range c.Minutes {
		if !math.IsNaN(m) {
			hi = max(hi, m)
			lo = min(lo, m)
		}
	}
	return niceTicks(lo, hi, 8)
}

// writePanel draws one series: shading, grid, axes, line, dots, baseline.
func (c Chart) writePanel(b *strings.Builder, f frame, s Series, xt []float64, color string) {
	xs, ys := c.points(s)
	yt := yRange(ys)
	f.y0, f.y1 = yt[0], yt[len(yt)-1]
	bottom := f.top + panelHeight
	right := float64(svgWidth - svgRight)

	fmt.Fprintf(b, `<g class="panel">`+"\n")
	fmt.Fprintf(b, `<text x="%d" y="%s" font-weight="bold">%s</text>`+"\n",
		svgLeft, px(f.top-8), svgText.Replace(s.Name))
	c.writeWarmup(b, f)
	for _, y := range yt {
		fmt.Fprintf(b, `<line x1="%d" y1="%s" x2="%s" y2="%s" stroke="#d0d7de"/>`+"\n",
			svgLeft, px(f.py(y)), px(right), px(f.py(y)))
		fmt.Fprintf(b, `<text x="%d" y="%s" text-anchor="end">%s</text>`+"\n",
			svgLeft-6, px(f.py(y)+4), num(y))
	}
	for _, x := range xt {
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#57606a"/>`+"\n",
			px(f.px(x)), px(bottom), px(f.px(x)), px(bottom+4))
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n",
			px(f.px(x)), px(bottom+17), num(x))
	}
	fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle">elapsed minutes</text>`+"\n",
		px((svgLeft+right)/2), px(bottom+33))
	fmt.Fprintf(b, `<path d="M%d %s V%s H%s" fill="none" stroke="#57606a"/>`+"\n",
		svgLeft, px(f.top), px(bottom), px(right))
	writeLine(b, f, xs, ys, color)
	writeDots(b, f, xs, ys, s.Name, color)
	c.writeBaseline(b, f) // after the data, so its label stays readable
	c.writeMarks(b, f)
	b.WriteString("</g>\n")
}

// writeWarmup shades the warm-up at the left of a panel.
func (c Chart) writeWarmup(b *strings.Builder, f frame) {
	if math.IsNaN(c.WarmupEnd) || c.WarmupEnd <= f.x0 {
		return
	}
	x := min(f.px(c.WarmupEnd), f.px(f.x1))
	fmt.Fprintf(b, `<rect x="%d" y="%s" width="%s" height="%d" fill="#f6f8fa"/>`+"\n",
		svgLeft, px(f.top), px(x-svgLeft), panelHeight)
	if x-svgLeft >= 60 {
		fmt.Fprintf(b, `<text x="%d" y="%s" fill="#57606a" `+halo+`>warm-up</text>`+"\n",
			svgLeft+4, px(f.top+panelHeight-6))
	}
}

// writeBaseline marks the baseline checkpoint with a dashed vertical line.
func (c Chart) writeBaseline(b *strings.Builder, f frame) {
	if math.IsNaN(c.Baseline) {
		return
	}
	x := f.px(c.Baseline)
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#8250df" `+
		`stroke-dasharray="5 4"/>`+"\n", px(x), px(f.top), px(x), px(f.top+panelHeight))
	fmt.Fprintf(b, `<text %s y="%s" fill="#8250df" `+halo+`>baseline</text>`+"\n",
		labelX(x), px(f.top+14))
}

// writeMarks draws each event as a dotted vertical line with its label.
func (c Chart) writeMarks(b *strings.Builder, f frame) {
	for _, m := range c.Marks {
		if math.IsNaN(m.Minute) {
			continue
		}
		x := f.px(m.Minute)
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#cf222e" `+
			`stroke-dasharray="2 3"/>`+"\n", px(x), px(f.top), px(x), px(f.top+panelHeight))
		fmt.Fprintf(b, `<text %s y="%s" fill="#cf222e" `+halo+`>%s</text>`+"\n",
			labelX(x), px(f.top+panelHeight-6), svgText.Replace(m.Label))
	}
}

// writeLine joins the points of a series.
func writeLine(b *strings.Builder, f frame, xs, ys []float64, color string) {
	if len(xs) < 2 {
		return
	}
	pts := make([]string, len(xs))
	for i := range xs {
		pts[i] = px(f.px(xs[i])) + "," + px(f.py(ys[i]))
	}
	fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n",
		strings.Join(pts, " "), color)
}

// maxDots is the most checkpoints marked with a dot; past it the dots
// would merge into a thick line and only swell the file.
const maxDots = 200

// writeDots marks every checkpoint, with its value as a tooltip.
func writeDots(b *strings.Builder, f frame, xs, ys []float64, name, color string) {
	if len(xs) > maxDots {
		return
	}
	for i := range xs {
		fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="3" fill="%s"><title>%s min: %s %s</title>`+
			"</circle>\n", px(f.px(xs[i])), px(f.py(ys[i])), color,
			num(xs[i]), num(ys[i]), svgText.Replace(name))
	}
}

// labelX places a label beside a vertical line at x: to its right, or to
// its left near the right edge so the label stays inside the chart.
func labelX(x float64) string {
	if x > svgWidth-svgRight-120 {
		return fmt.Sprintf(`x="%s" text-anchor="end"`, px(x-4))
	}
	return fmt.Sprintf(`x="%s"`, px(x+4))
}

// px formats a pixel coordinate with one decimal at most.
func px(v float64) string {
	return num(math.Round(v*10) / 10)
}
