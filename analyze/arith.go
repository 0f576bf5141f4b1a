package analyze

import (
	"math"
	"time"
)

// arithmetic fills the per-stream leak figures and the projections.
func (s *scorer) arithmetic() {
	s.perStream()
	s.project()
}

func (s *scorer) perStream() {
	last := len(s.cps) - 1
	ps := &s.res.PerStream
	if v, ok := sumAt(s.active, last); ok {
		ps.Streams = v
	} else {
		ps.Streams = float64(s.run.Info.Containers)
	}
	ps.Rotations = deltaOf(s.rotations, s.from, last)
	ps.LeakedGoroutines = deltaOf(s.goroutines, s.from, last)
	ps.NewFDs = deltaOf(s.fds, s.from, last)
	ps.PerStream = ratio(ps.LeakedGoroutines, ps.Streams)
	ps.PerRotation = ratio(ps.LeakedGoroutines, ps.Rotations)
	ps.PerNewFD = ratio(ps.LeakedGoroutines, ps.NewFDs)
}

// deltaOf is the sum over label sets at checkpoint b minus that at a, both
// moved to the nearest checkpoint with a value.
func deltaOf(ss []*series, a, b int) float64 {
	for a < b {
		if _, ok := sumAt(ss, a); ok {
			break
		}
		a++
	}
	for b > a {
		if _, ok := sumAt(ss, b); ok {
			break
		}
		b--
	}
	va, _ := sumAt(ss, a)
	vb, _ := sumAt(ss, b)
	return vb - va
}

// ratio is a/b, or nil when b is 0.
func ratio(a, b float64) *float64 {
	if b <= 0 {
		return nil
	}
	r := a / b
	return &r
}

// project extrapolates the Theil-Sen slopes.
func (s *scorer) project() {
	p := &s.res.Projections
	if g := s.res.Growth.Goroutines; g != nil {
		p.GoroutinesPerHour, p.GoroutinesPerDay, p.GoroutinesPerWeek = perSpan(g.Slope)
	}
	if g := s.res.Growth.FDs; g != nil {
		p.FDsPerHour, p.FDsPerDay, p.FDsPerWeek = perSpan(g.Slope)
		if v, ok := sumAt(s.maxFDs, len(s.cps)-1); ok {
			p.MaxFDs = v
			p.TimeToMaxFDs = timeTo(v, g.Final, g.Slope)
		}
	}
	p.MemoryLimit = s.c.MemoryLimit
	if g := s.res.Growth.Memory; g != nil {
		p.MemoryPerHour = g.Slope * 60
		if p.MemoryLimit > 0 {
			p.TimeToMemoryLimit = timeTo(p.MemoryLimit, g.Final, g.Slope)
		}
	}
}

func perSpan(perMinute float64) (hour, day, week float64) {
	hour = perMinute * 60
	return hour, hour * 24, hour * 24 * 7
}

// timeTo is how long until value reaches limit at slope per minute; nil if
// it never does. A value already at the limit gives 0.
func timeTo(limit, value, slope float64) *time.Duration {
	if value >= limit {
		d := time.Duration(0)
		return &d
	}
	if slope <= 0 {
		return nil
	}
	mins := (limit - value) / slope
	if mins*float64(time.Minute) > math.MaxInt64/2 {
		return nil
	}
	d := time.Duration(mins * float64(time.Minute)).Round(time.Second)
	return &d
}
