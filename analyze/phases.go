package analyze

import (
	"math"
	"slices"
)

// Phase detection cuts the goroutine series into straight segments by binary
// segmentation: a segment is split where two least-squares lines fit better
// than one by more than a penalty of splitPenalty * sigma^2 * ln(n), sigma
// the noise of the series (at least minSigma). A segment is flat when its
// slope is within thr/4 per minute, or when its rise over its span is within
// two sigma. A jump between two segments larger than four sigma becomes a
// phase of its own. Flat segments after growth are plateaus, others stable;
// a first phase that is not flat and ends in the first third of the run,
// followed by a flat one, is settling (the target still settling after the
// baseline). Three or more growth phases separated
// by plateaus become one growth phase in steps (a leak per rotation).
const (
	splitPenalty = 4.0
	minSigma     = 0.5
	minSegment   = 2
)

type segment struct {
	i, j int // first and last point, inclusive
}

// phasesOf finds the phases of pts (x in minutes) given the goroutine growth
// threshold thr per minute. elapsed0 is the elapsed seconds of x = 0 and idx
// the checkpoint index of each point.
func phasesOf(pts []point, idx []int, elapsed0, thr float64) []Phase {
	if len(pts) < 2 {
		return nil
	}
	sigma := math.Max(robustSigma(pts), minSigma)
	pen := splitPenalty * sigma * sigma * math.Log(float64(len(pts)))
	segs := splitSegments(pts, segment{0, len(pts) - 1}, pen)
	var out []Phase
	for k, s := range segs {
		p := segmentPhase(pts, idx, s, thr, sigma)
		if k > 0 {
			prev := segs[k-1]
			if j, ok := jumpPhase(pts, idx, prev, s, sigma); ok {
				out = append(out, j)
			} else {
				// No step between them: this phase starts where the last ended.
				p.StartIndex, p.Start = idx[prev.j], pts[prev.j].x
			}
		}
		out = append(out, p)
	}
	for k := range out {
		out[k].Start = elapsed0 + out[k].Start*60
		out[k].End = elapsed0 + out[k].End*60
	}
	return mergeStairs(nameFlat(markWarmup(mergePhases(out))))
}

func splitSegments(pts []point, s segment, pen float64) []segment {
	return splitWith(newPrefix(pts), s, pen)
}

func splitWith(ps *prefix, s segment, pen float64) []segment {
	whole := ps.sse(s.i, s.j)
	best, bestK := whole, -1
	for k := s.i + minSegment - 1; k+minSegment <= s.j; k++ {
		if v := ps.sse(s.i, k) + ps.sse(k+1, s.j); v < best {
			best, bestK = v, k
		}
	}
	if bestK < 0 || whole-best <= pen {
		return []segment{s}
	}
	left := splitWith(ps, segment{s.i, bestK}, pen)
	return append(left, splitWith(ps, segment{bestK + 1, s.j}, pen)...)
}

// prefix holds running sums of a series, so the least-squares fit of any
// span costs O(1) and segmentation stays O(n) per split.
type prefix struct {
	n, x, y, xx, xy, yy []float64
}

func newPrefix(pts []point) *prefix {
	m := len(pts) + 1
	p := &prefix{n: make([]float64, m), x: make([]float64, m), y: make([]float64, m),
		xx: make([]float64, m), xy: make([]float64, m), yy: make([]float64, m)}
	for i, q := range pts {
		// Taken from the first point, so the sums stay small and exact.
		x, y := q.x-pts[0].x, q.y-pts[0].y
		p.n[i+1] = p.n[i] + 1
		p.x[i+1] = p.x[i] + x
		p.y[i+1] = p.y[i] + y
		p.xx[i+1] = p.xx[i] + x*x
		p.xy[i+1] = p.xy[i] + x*y
		p.yy[i+1] = p.yy[i] + y*y
	}
	return p
}

// sse is the residual sum of squares of the least-squares line through
// points i..j inclusive; 0 for fewer than three points.
func (p *prefix) sse(i, j int) float64 {
	n := p.n[j+1] - p.n[i]
	if n < 3 {
		return 0
	}
	sx, sy := p.x[j+1]-p.x[i], p.y[j+1]-p.y[i]
	sxx, sxy, syy := p.xx[j+1]-p.xx[i], p.xy[j+1]-p.xy[i], p.yy[j+1]-p.yy[i]
	vx, vy, cxy := sxx-sx*sx/n, syy-sy*sy/n, sxy-sx*sy/n
	r := vy
	if vx > 0 {
		r -= cxy * cxy / vx
	}
	return max(r, 0)
}

func leastSquares(pts []point) (slope, intercept float64) {
	n := float64(len(pts))
	var sx, sy, sxx, sxy float64
	for _, p := range pts {
		sx, sy, sxx, sxy = sx+p.x, sy+p.y, sxx+p.x*p.x, sxy+p.x*p.y
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0, sy / n
	}
	slope = (n*sxy - sx*sy) / den
	return slope, (sy - slope*sx) / n
}

// segmentPhase classifies one segment; Start and End are still in minutes.
func segmentPhase(pts []point, idx []int, s segment, thr, sigma float64) Phase {
	seg := pts[s.i : s.j+1]
	slope, icept := leastSquares(seg)
	from, to := icept+slope*seg[0].x, icept+slope*seg[len(seg)-1].x
	span := seg[len(seg)-1].x - seg[0].x
	p := Phase{StartIndex: idx[s.i], EndIndex: idx[s.j],
		Start: seg[0].x, End: seg[len(seg)-1].x, Rate: slope,
		From: round1(from), To: round1(to)}
	switch {
	case math.Abs(slope) <= thr/4 || math.Abs(slope*span) <= 2*sigma:
		p.Kind = PhaseStable
	case slope > 0:
		p.Kind = PhaseGrowth
	default:
		p.Kind = PhaseDecline
	}
	return p
}

// jumpPhase returns the step between two neighbouring segments when it is
// larger than four sigma.
func jumpPhase(pts []point, idx []int, a, b segment, sigma float64) (Phase, bool) {
	sa, ia := leastSquares(pts[a.i : a.j+1])
	sb, ib := leastSquares(pts[b.i : b.j+1])
	pa, pb := pts[a.j], pts[b.i]
	from, to := ia+sa*pa.x, ib+sb*pb.x
	if math.Abs(to-from) <= 4*sigma || pb.x-pa.x < minSpan {
		return Phase{}, false
	}
	p := Phase{Kind: PhaseGrowth, StartIndex: idx[a.j], EndIndex: idx[b.i],
		Start: pa.x, End: pb.x, Rate: (to - from) / (pb.x - pa.x),
		From: round1(from), To: round1(to)}
	if to < from {
		p.Kind = PhaseDecline
	}
	return p, true
}

// mergePhases joins neighbours of the same kind.
func mergePhases(ps []Phase) []Phase {
	var out []Phase
	for _, p := range ps {
		if n := len(out); n > 0 && out[n-1].Kind == p.Kind {
			q := &out[n-1]
			q.EndIndex, q.End, q.To = p.EndIndex, p.End, p.To
			if d := (q.End - q.Start) / 60; d >= minSpan {
				q.Rate = (q.To - q.From) / d
			}
			continue
		}
		out = append(out, p)
	}
	return out
}

// markWarmup renames a first non-flat phase that ends in the first third of
// the run and is followed by a flat phase.
func markWarmup(ps []Phase) []Phase {
	if len(ps) < 2 || ps[0].Kind == PhaseStable {
		return ps
	}
	runEnd := ps[len(ps)-1].End
	third := ps[0].Start + (runEnd-ps[0].Start)/3
	if ps[0].End <= third && ps[1].Kind == PhaseStable {
		ps[0].Kind = PhaseSettling
	}
	return ps
}

// nameFlat turns a flat phase that follows growth into a plateau.
func nameFlat(ps []Phase) []Phase {
	grown := false
	for k := range ps {
		switch ps[k].Kind {
		case PhaseGrowth:
			grown = true
		case PhaseDecline, PhaseSettling:
			grown = false
		case PhaseStable:
			if grown {
				ps[k].Kind = PhasePlateau
			}
		}
	}
	return slices.Clip(ps)
}

// minStairs is how many growth phases, each followed by a plateau, make a
// staircase: a leak per rotation looks like that.
const minStairs = 3

// mergeStairs turns growth, plateau, growth, ... with at least minStairs
// growth phases into one growth phase whose Steps counts them.
func mergeStairs(ps []Phase) []Phase {
	var out []Phase
	for k := 0; k < len(ps); k++ {
		end, steps := k, 0
		for end < len(ps) && ps[end].Kind == PhaseGrowth {
			steps++
			if end+2 < len(ps) && ps[end+1].Kind == PhasePlateau &&
				ps[end+2].Kind == PhaseGrowth {
				end += 2
				continue
			}
			break
		}
		if steps < minStairs {
			out = append(out, ps[k])
			continue
		}
		p := ps[k]
		p.EndIndex, p.End, p.To, p.Steps = ps[end].EndIndex, ps[end].End, ps[end].To, steps
		if d := (p.End - p.Start) / 60; d >= minSpan {
			p.Rate = (p.To - p.From) / d
		}
		out = append(out, p)
		k = end
	}
	return out
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
