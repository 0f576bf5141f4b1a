package reports

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/logcap/logcap/analyze"
)

// SummarySchema is the version of summary.json's layout. It changes only
// when a field is renamed or removed; new fields keep it.
const SummarySchema = 1

// Number is a figure of summary.json. It encodes as a JSON number, or as
// null when it is not finite (a slope of a single point, say), which plain
// JSON cannot hold.
type Number float64

// MarshalJSON writes n as a number, or null when n is NaN or infinite.
func (n Number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	// Like encoding/json: plain digits, exponent only for extreme values.
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
	}
	return strconv.AppendFloat(nil, f, 'f', -1, 64), nil
}

// SummaryJSON is summary.json: the verdict and the figures of report.md for
// machines, with field names that stay stable across releases.
type SummaryJSON struct {
	Schema      int       `json:"schema"`
	RunID       string    `json:"run_id"`
	Verdict     string    `json:"verdict"`
	Incomplete  bool      `json:"incomplete"`
	Reasons     []string  `json:"reasons"`
	StartedAt   time.Time `json:"started_at"`
	EndedAt     time.Time `json:"ended_at,omitzero"`
	Seconds     Number    `json:"duration_seconds"`
	Checkpoints int       `json:"checkpoints"`
	Target      string    `json:"target"`
	Containers  int       `json:"containers"`
	Version     string    `json:"logcap_version"`
	Commit      string    `json:"logcap_commit"`
	GoVersion   string    `json:"go_version"`
	Engine      string    `json:"engine_version,omitempty"`
	Host        string    `json:"host"`

	Thresholds   SummaryThresholds    `json:"thresholds"`
	Criteria     []SummaryCriterion   `json:"criteria"`
	Liveness     SummaryCriterion     `json:"liveness"`
	Completeness *SummaryCompleteness `json:"completeness,omitempty"`
	Goroutines   *SummaryGrowth       `json:"goroutines,omitempty"`
	FDs          *SummaryGrowth       `json:"open_fds,omitempty"`
	Memory       *SummaryGrowth       `json:"resident_memory_bytes,omitempty"`
	Values       map[string]FirstLast `json:"values"`
	Timeline     []SummaryCheckpoint  `json:"timeline"`
	Phases       []SummaryPhase       `json:"phases"`
	Stacks       []SummaryStack       `json:"stacks"`
	Blocked      []SummaryBlocked     `json:"blocked"`
	PerStream    SummaryPerStream     `json:"per_stream"`
	Projections  SummaryProjections   `json:"projections"`
	Restarts     []SummaryRestart     `json:"restarts"`
	Notes        []string             `json:"notes"`
}

// SummaryThresholds are the thresholds the run was scored with.
type SummaryThresholds struct {
	MaxGoroutineGrowth Number   `json:"max_goroutine_growth_per_minute"`
	MaxFDGrowth        Number   `json:"max_fd_growth"`
	MinCheckpoints     int      `json:"min_checkpoints"`
	MinSeconds         Number   `json:"min_duration_seconds"`
	MaxNoise           Number   `json:"max_noise"`
	Disabled           []string `json:"disabled"`
}

// FirstLast is a figure at the first and at the last checkpoint.
type FirstLast struct {
	First Number `json:"first"`
	Last  Number `json:"last"`
}

// SummaryCheckpoint is one checkpoint's figures; a missing field was not
// scraped at that checkpoint.
type SummaryCheckpoint struct {
	Index      int       `json:"index"`
	Time       time.Time `json:"time"`
	Elapsed    Number    `json:"elapsed_seconds"`
	Goroutines *Number   `json:"goroutines,omitempty"`
	FDs        *Number   `json:"open_fds,omitempty"`
	RSS        *Number   `json:"resident_memory_bytes,omitempty"`
	Streams    *Number   `json:"active_streams,omitempty"`
	Rotations  *Number   `json:"rotations,omitempty"`
	Lines      *Number   `json:"lines,omitempty"`
	Healthy    *bool     `json:"healthy,omitempty"`
}

// SummaryCriterion is one criterion as summary.json carries it.
type SummaryCriterion struct {
	Name    string `json:"name"`
	Metric  string `json:"metric"`
	Target  string `json:"target"`
	Result  string `json:"result"`
	Verdict string `json:"verdict"`
	Reason  string `json:"reason,omitempty"`
	First   Number `json:"first"`
	Last    Number `json:"last"`
}

// SummaryGrowth is the trend of one series from the baseline; rates are per
// minute of real elapsed time.
type SummaryGrowth struct {
	Metric    string `json:"metric"`
	Baseline  Number `json:"baseline"`
	Final     Number `json:"final"`
	Min       Number `json:"min"`
	Max       Number `json:"max"`
	Delta     Number `json:"delta"`
	PerMinute Number `json:"per_minute"`
	Slope     Number `json:"slope_per_minute"`
	SlopeLow  Number `json:"slope_low_per_minute"`
	SlopeHigh Number `json:"slope_high_per_minute"`
	LastThird Number `json:"last_third_per_minute"`
	Noise     Number `json:"noise"`
	Trend     string `json:"trend"`
}

// SummaryPhase is one phase of the run; times are elapsed seconds since the
// run started.
type SummaryPhase struct {
	Kind       string `json:"kind"`
	StartIndex int    `json:"start_index"`
	EndIndex   int    `json:"end_index"`
	Start      Number `json:"start_seconds"`
	End        Number `json:"end_seconds"`
	PerMinute  Number `json:"goroutines_per_minute"`
	From       Number `json:"from"`
	To         Number `json:"to"`
}

// SummaryStack is one goroutine stack that grew from baseline to final.
type SummaryStack struct {
	Function string `json:"function"`
	Location string `json:"location"`
	Base     int64  `json:"base"`
	Final    int64  `json:"final"`
	Delta    int64  `json:"delta"`
}

// SummaryBlocked is a group of goroutines blocked longer than the rotation
// interval in the final dump.
type SummaryBlocked struct {
	WaitReason string `json:"wait_reason"`
	Function   string `json:"function"`
	Location   string `json:"location"`
	Count      int    `json:"count"`
	MaxMinutes Number `json:"max_minutes"`
}

// SummaryPerStream is the leak arithmetic; a null ratio divides by zero.
type SummaryPerStream struct {
	Streams          Number  `json:"streams"`
	Rotations        Number  `json:"rotations"`
	LeakedGoroutines Number  `json:"leaked_goroutines"`
	NewFDs           Number  `json:"new_fds"`
	PerStream        *Number `json:"goroutines_per_stream"`
	PerRotation      *Number `json:"goroutines_per_rotation"`
	PerNewFD         *Number `json:"goroutines_per_new_fd"`
}

// SummaryProjections extrapolate the growth; a null time means the limit is
// unknown or never reached at the current growth.
type SummaryProjections struct {
	GoroutinesPerHour Number  `json:"goroutines_per_hour"`
	GoroutinesPerDay  Number  `json:"goroutines_per_day"`
	GoroutinesPerWeek Number  `json:"goroutines_per_week"`
	FDsPerHour        Number  `json:"fds_per_hour"`
	FDsPerDay         Number  `json:"fds_per_day"`
	FDsPerWeek        Number  `json:"fds_per_week"`
	MaxFDs            Number  `json:"max_fds"`
	SecondsToMaxFDs   *Number `json:"seconds_to_max_fds"`
	MemoryPerHour     Number  `json:"memory_bytes_per_hour"`
	MemoryLimit       Number  `json:"memory_limit_bytes"`
	SecondsToMemLimit *Number `json:"seconds_to_memory_limit"`
}

// SummaryCompleteness counts lines emitted and captured over all
// containers.
type SummaryCompleteness struct {
	Verdict    string `json:"verdict"`
	Containers int    `json:"containers"`
	Emitted    int64  `json:"emitted"`
	Captured   int64  `json:"captured"`
	Lost       int64  `json:"lost"`
	Repeated   int64  `json:"repeated"`
	NoFinal    int    `json:"no_final_line"`
}

// SummaryRestart is a restart of the target during the run.
type SummaryRestart struct {
	Index   int       `json:"checkpoint"`
	Elapsed Number    `json:"elapsed_seconds"`
	Before  time.Time `json:"started_before"`
	After   time.Time `json:"started_after"`
}

// Summary gathers the verdict and figures of a scored run into
// summary.json's shape.
func Summary(run analyze.Run, res analyze.Result) SummaryJSON {
	info := run.Info
	s := SummaryJSON{
		Schema: SummarySchema, RunID: info.RunID, Verdict: string(res.Verdict),
		Incomplete: res.Incomplete || info.Incomplete, Reasons: nonNil(res.Reasons),
		StartedAt: info.StartedAt, EndedAt: info.EndedAt,
		Seconds: Number(res.Duration.Seconds()), Checkpoints: res.Checkpoints,
		Target: info.Target, Containers: info.Containers, Version: info.Version,
		Commit: info.Commit, GoVersion: info.GoVersion, Engine: info.EngineVersion,
		Host: info.Host, Liveness: summaryCriterion(res.Liveness),
		Goroutines: summaryGrowth(res.Growth.Goroutines),
		FDs:        summaryGrowth(res.Growth.FDs), Memory: summaryGrowth(res.Growth.Memory),
		PerStream: summaryPerStream(res.PerStream), Notes: nonNil(res.Notes),
		Projections:  summaryProjections(res.Projections),
		Completeness: summaryCompleteness(res.Completeness),
	}
	s.Thresholds = summaryThresholds(res.Settings)
	s.Values = newReport(run, res).values()
	s.Timeline = mapSlice(res.Timeline, summaryCheckpoint)
	s.Criteria = mapSlice(res.Criteria, summaryCriterion)
	s.Phases = mapSlice(res.Phases, summaryPhase)
	s.Stacks = mapSlice(res.Stacks, summaryStack)
	s.Blocked = mapSlice(res.Blocked, summaryBlocked)
	s.Restarts = mapSlice(res.Restarts, summaryRestart)
	return s
}

// marshalSummary encodes the summary as indented JSON with a final newline,
// leaving <, > and & as they are so a person can read it too.
func marshalSummary(s SummaryJSON) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// mapSlice converts every element, giving an empty (not nil) slice so the
// JSON shows [] rather than null.
func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}

// nonNil returns s, or an empty slice when s is nil.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func summaryThresholds(c analyze.Criteria) SummaryThresholds {
	return SummaryThresholds{
		MaxGoroutineGrowth: Number(c.MaxGoroutineGrowth), MaxFDGrowth: Number(c.MaxFDGrowth),
		MinCheckpoints: c.MinCheckpoints, MinSeconds: Number(c.MinDuration.Seconds()),
		MaxNoise: Number(c.MaxNoise), Disabled: nonNil(c.Disabled),
	}
}

// values returns the first and last value of each figure of the timeline,
// keyed by the names of summary.json.
func (r *report) values() map[string]FirstLast {
	out := map[string]FirstLast{}
	for _, v := range figures {
		if fl := r.firstLast(v.get); fl != nil {
			out[v.key] = FirstLast{First: Number(fl[0]), Last: Number(fl[1])}
		}
	}
	return out
}

func summaryCheckpoint(t analyze.TimelineRow) SummaryCheckpoint {
	return SummaryCheckpoint{
		Index: t.Index, Time: t.Time, Elapsed: Number(t.Elapsed),
		Goroutines: numPtr(t.Goroutines), FDs: numPtr(t.FDs), RSS: numPtr(t.RSS),
		Streams: numPtr(t.ActiveStreams), Rotations: numPtr(t.Rotations),
		Lines: numPtr(t.Lines), Healthy: t.Healthy,
	}
}

func summaryCriterion(c analyze.CriterionResult) SummaryCriterion {
	return SummaryCriterion{
		Name: c.Name, Metric: c.Metric, Target: c.Target, Result: c.Result,
		Verdict: string(c.Verdict), Reason: c.Reason,
		First: Number(c.First), Last: Number(c.Last),
	}
}

func summaryGrowth(g *analyze.SeriesGrowth) *SummaryGrowth {
	if g == nil {
		return nil
	}
	return &SummaryGrowth{
		Metric: g.Metric, Baseline: Number(g.Baseline), Final: Number(g.Final),
		Min: Number(g.Min), Max: Number(g.Max), Delta: Number(g.Delta),
		PerMinute: Number(g.PerMinute), Slope: Number(g.Slope),
		SlopeLow: Number(g.SlopeLow), SlopeHigh: Number(g.SlopeHigh),
		LastThird: Number(g.LastThird), Noise: Number(g.Noise), Trend: g.Trend,
	}
}

func summaryPhase(p analyze.Phase) SummaryPhase {
	return SummaryPhase{
		Kind: string(p.Kind), StartIndex: p.StartIndex, EndIndex: p.EndIndex,
		Start: Number(p.Start), End: Number(p.End), PerMinute: Number(p.Rate),
		From: Number(p.From), To: Number(p.To),
	}
}

func summaryStack(s analyze.StackGrowth) SummaryStack {
	return SummaryStack{
		Function: s.Function, Location: s.Location,
		Base: s.Base, Final: s.Final, Delta: s.Delta,
	}
}

func summaryBlocked(g analyze.BlockedGroup) SummaryBlocked {
	return SummaryBlocked{
		WaitReason: g.WaitReason, Function: g.Function, Location: g.Location,
		Count: g.Count, MaxMinutes: Number(g.MaxMinutes),
	}
}

func summaryPerStream(p analyze.PerStream) SummaryPerStream {
	return SummaryPerStream{
		Streams: Number(p.Streams), Rotations: Number(p.Rotations),
		LeakedGoroutines: Number(p.LeakedGoroutines), NewFDs: Number(p.NewFDs),
		PerStream: numPtr(p.PerStream), PerRotation: numPtr(p.PerRotation),
		PerNewFD: numPtr(p.PerNewFD),
	}
}

func summaryProjections(p analyze.Projections) SummaryProjections {
	return SummaryProjections{
		GoroutinesPerHour: Number(p.GoroutinesPerHour),
		GoroutinesPerDay:  Number(p.GoroutinesPerDay),
		GoroutinesPerWeek: Number(p.GoroutinesPerWeek),
		FDsPerHour:        Number(p.FDsPerHour), FDsPerDay: Number(p.FDsPerDay),
		FDsPerWeek: Number(p.FDsPerWeek), MaxFDs: Number(p.MaxFDs),
		SecondsToMaxFDs: durPtr(p.TimeToMaxFDs), MemoryPerHour: Number(p.MemoryPerHour),
		MemoryLimit: Number(p.MemoryLimit), SecondsToMemLimit: durPtr(p.TimeToMemoryLimit),
	}
}

func summaryCompleteness(c *analyze.CompletenessResult) *SummaryCompleteness {
	if c == nil {
		return nil
	}
	return &SummaryCompleteness{
		Verdict: string(c.Verdict), Containers: c.Containers, Emitted: c.Emitted,
		Captured: c.Captured, Lost: c.Lost, Repeated: c.Repeated, NoFinal: c.NoFinal,
	}
}

func summaryRestart(r analyze.Restart) SummaryRestart {
	return SummaryRestart{
		Index: r.Index, Elapsed: Number(r.Elapsed), Before: r.Before, After: r.After,
	}
}

func numPtr(f *float64) *Number {
	if f == nil {
		return nil
	}
	n := Number(*f)
	return &n
}

func durPtr(d *time.Duration) *Number {
	if d == nil {
		return nil
	}
	n := Number(d.Seconds())
	return &n
}
