package analyze

import (
	"fmt"
	"strings"
	"time"
)

// CompareRows lays two scored runs side by side for `logcap analyze
// compare`: each row is a label, then run A's figure, then run B's.
func CompareRows(a, b Run, ra, rb Result) [][]string {
	rows := [][]string{
		{"run", a.Info.RunID, b.Info.RunID},
		{"verdict", string(ra.Verdict), string(rb.Verdict)},
		{"logcap version", version(a.Info), version(b.Info)},
		{"containers", fmt.Sprint(a.Info.Containers), fmt.Sprint(b.Info.Containers)},
		{"duration (baseline to final)", ra.Duration.Round(time.Second).String(),
			rb.Duration.Round(time.Second).String()},
		{"checkpoints", fmt.Sprint(ra.Checkpoints), fmt.Sprint(rb.Checkpoints)},
	}
	rows = append(rows, growthRows("goroutines", ra.Growth.Goroutines, rb.Growth.Goroutines)...)
	rows = append(rows, growthRows("fds", ra.Growth.FDs, rb.Growth.FDs)...)
	rows = append(rows, []string{"restarts", fmt.Sprint(len(ra.Restarts)),
		fmt.Sprint(len(rb.Restarts))})
	for i := range ra.Criteria {
		if i < len(rb.Criteria) {
			rows = append(rows, []string{"criterion " + ra.Criteria[i].Name,
				critCell(ra.Criteria[i]), critCell(rb.Criteria[i])})
		}
	}
	return append(rows, []string{"liveness", critCell(ra.Liveness), critCell(rb.Liveness)})
}

func version(i RunInfo) string {
	if i.Version == "" {
		return "unknown"
	}
	return strings.TrimSpace(i.Version + " " + i.Commit)
}

func growthRows(name string, a, b *SeriesGrowth) [][]string {
	cell := func(g *SeriesGrowth, f func(*SeriesGrowth) string) string {
		if g == nil {
			return "n/a"
		}
		return f(g)
	}
	return [][]string{
		{name + " baseline to final",
			cell(a, func(g *SeriesGrowth) string { return num(g.Baseline) + " to " + num(g.Final) }),
			cell(b, func(g *SeriesGrowth) string { return num(g.Baseline) + " to " + num(g.Final) })},
		{name + " growth per minute",
			cell(a, func(g *SeriesGrowth) string { return num(g.PerMinute) }),
			cell(b, func(g *SeriesGrowth) string { return num(g.PerMinute) })},
		{name + " Theil-Sen slope/min (95%)", cell(a, slopeCell), cell(b, slopeCell)},
		{name + " last third/min",
			cell(a, func(g *SeriesGrowth) string { return num(g.LastThird) }),
			cell(b, func(g *SeriesGrowth) string { return num(g.LastThird) })},
	}
}

func slopeCell(g *SeriesGrowth) string {
	return fmt.Sprintf("%s (%s to %s)", num(g.Slope), num(g.SlopeLow), num(g.SlopeHigh))
}

// critCell is a criterion's verdict; the figures are in the rows above.
func critCell(c CriterionResult) string { return string(c.Verdict) }
