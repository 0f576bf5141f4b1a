package analyze

import "time"

// Run is a run directory read into memory: how it was started and what each
// checkpoint saw. Score works on a Run alone.
type Run struct {
	// Dir is the run directory; profile and dump paths in Checkpoints are
	// relative to it.
	Dir string `json:"dir"`
	// Info is run.json.
	Info RunInfo `json:"info"`
	// Checkpoints is checkpoints.jsonl in file order, which is Index order.
	Checkpoints []Checkpoint `json:"checkpoints"`
	// Notes are what ReadRun had to say about the files (a torn last
	// line, say); Score copies them into Result.Notes.
	Notes []string `json:"notes,omitempty"`
}

// Verdict is the outcome of a run or of one criterion.
type Verdict string

// The verdicts. Skipped is used only for a criterion switched off by
// Criteria; a run's verdict is always one of the other three.
const (
	Pass         Verdict = "PASS"
	Fail         Verdict = "FAIL"
	Inconclusive Verdict = "INCONCLUSIVE"
	Skipped      Verdict = "SKIPPED"
)

// Criterion names, used in CriterionResult.Name, in --disable and in the
// report.
const (
	CritGoroutines   = "goroutines"
	CritPool         = "pool"
	CritFDs          = "fds"
	CritHealth       = "health"
	CritRotations    = "rotations"
	CritLiveness     = "liveness"
	CritCompleteness = "completeness"
)

// Result is the scored run: everything reports renders and summary.json
// carries. It is plain data; every figure is computed by Score.
type Result struct {
	// Verdict is FAIL if any enabled criterion failed, else INCONCLUSIVE
	// if any was inconclusive (or the run was too short or too noisy),
	// else PASS. See docs/VERDICTS.md.
	Verdict Verdict `json:"verdict"`
	// Reasons are one sentence each, the reasons for the verdict, worst
	// first.
	Reasons []string `json:"reasons"`
	// Criteria holds the five criteria of DESIGN.md in their order, the
	// disabled ones with verdict SKIPPED.
	Criteria []CriterionResult `json:"criteria"`
	// Liveness is the check that lines and rotations keep rising.
	Liveness CriterionResult `json:"liveness"`
	// Completeness is nil when the run carries no completeness data.
	Completeness *CompletenessResult `json:"completeness,omitempty"`
	// Duration is the span from the first to the last checkpoint.
	Duration time.Duration `json:"duration_ns"`
	// Checkpoints is how many checkpoints were scored.
	Checkpoints int `json:"checkpoints"`
	// Timeline is one row per checkpoint with the figures the criteria
	// read, metric names already resolved.
	Timeline []TimelineRow `json:"timeline"`
	// Growth is the trend of goroutines and file descriptors.
	Growth Growth `json:"growth"`
	// Phases is the timeline of goroutines cut into phases, in order.
	Phases []Phase `json:"phases"`
	// Stacks are the goroutine stacks that grew from the baseline profile
	// to the final one, most growth first.
	Stacks []StackGrowth `json:"stacks"`
	// BaseProfile and FinalProfile are the profiles diffed, relative to
	// the run directory, for a `go tool pprof -base` command; empty when
	// fewer than two profiles could be read.
	BaseProfile  string `json:"base_profile,omitempty"`
	FinalProfile string `json:"final_profile,omitempty"`
	// Dump is the debug=2 dump Blocked was read from.
	Dump string `json:"dump,omitempty"`
	// Blocked groups goroutines of the final dump blocked longer than the
	// rotation interval.
	Blocked []BlockedGroup `json:"blocked"`
	// PerStream is the leak arithmetic per stream, rotation and fd.
	PerStream PerStream `json:"per_stream"`
	// Projections extrapolate the growth to an hour, a day and a week,
	// and to the process's limits.
	Projections Projections `json:"projections"`
	// Restarts lists the restarts of the target seen during the run.
	Restarts []Restart `json:"restarts"`
	// Incomplete is true when the run was interrupted before its end.
	Incomplete bool `json:"incomplete"`
	// Notes are remarks that do not change the verdict (a failed profile
	// fetch, a metric that appeared late, ...).
	Notes []string `json:"notes"`
	// Criteria used for scoring, so a report can print them.
	Settings Criteria `json:"settings"`
}

// CriterionResult is one criterion scored over the run.
type CriterionResult struct {
	// Name is one of the Crit* constants.
	Name string `json:"name"`
	// Metric is the metric (or metrics, comma separated) read.
	Metric string `json:"metric"`
	// Target is the pass condition in words, such as "below 2/min".
	Target string `json:"target"`
	// Result is what was measured in words, such as "0.4/min".
	Result string `json:"result"`
	// Verdict is PASS, FAIL, INCONCLUSIVE or SKIPPED.
	Verdict Verdict `json:"verdict"`
	// Reason says why when the verdict is not PASS.
	Reason string `json:"reason,omitempty"`
	// First and Last are the values at the first and last checkpoint
	// (summed over label sets where that is meaningful).
	First float64 `json:"first"`
	Last  float64 `json:"last"`
}

// CompletenessResult scores RunInfo.Completeness.
type CompletenessResult struct {
	Verdict    Verdict `json:"verdict"`
	Containers int     `json:"containers"`
	Emitted    int64   `json:"emitted"`
	Captured   int64   `json:"captured"`
	Lost       int64   `json:"lost"`
	Repeated   int64   `json:"repeated"`
	// NoFinal counts containers whose final line was not captured.
	NoFinal int `json:"no_final"`
	// Worst are the containers with lost or repeated lines, most lost
	// first, at most 20.
	Worst []ContainerLines `json:"worst,omitempty"`
}

// TimelineRow is one checkpoint's figures. A nil pointer means the metric
// was not scraped at that checkpoint (or is not configured).
type TimelineRow struct {
	Index   int       `json:"index"`
	Time    time.Time `json:"time"`
	Elapsed float64   `json:"elapsed_seconds"`
	// Minutes is the elapsed time since the baseline, in minutes.
	Minutes       float64  `json:"minutes"`
	Goroutines    *float64 `json:"goroutines,omitempty"`
	FDs           *float64 `json:"fds,omitempty"`
	MaxFDs        *float64 `json:"max_fds,omitempty"`
	RSS           *float64 `json:"rss_bytes,omitempty"`
	ActiveStreams *float64 `json:"active_streams,omitempty"`
	PoolCapacity  *float64 `json:"pool_capacity,omitempty"`
	Rotations     *float64 `json:"rotations,omitempty"`
	Lines         *float64 `json:"lines,omitempty"`
	// Healthy is nil when health is not read, else true only if every
	// label set was healthy.
	Healthy *bool `json:"healthy,omitempty"`
	// Unhealthy names the label sets that were not healthy.
	Unhealthy []string `json:"unhealthy,omitempty"`
	Errors    []string `json:"errors,omitempty"`
}

// Growth holds the trends of the two series that leak. A nil field means the
// series was not read (its criterion is disabled and no data was found).
type Growth struct {
	Goroutines *SeriesGrowth `json:"goroutines,omitempty"`
	FDs        *SeriesGrowth `json:"fds,omitempty"`
	Memory     *SeriesGrowth `json:"memory,omitempty"`
}

// SeriesGrowth is the trend of one series from the baseline. Rates are per
// minute of real elapsed time.
type SeriesGrowth struct {
	Metric string `json:"metric"`
	// Series is the label set measured, empty for a metric without
	// labels. With several label sets, Growth holds the worst.
	Series   string  `json:"series,omitempty"`
	Baseline float64 `json:"baseline"`
	Final    float64 `json:"final"`
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
	// Delta is Final - Baseline.
	Delta float64 `json:"delta"`
	// PerMinute is Delta over the minutes from baseline to final.
	PerMinute float64 `json:"per_minute"`
	// Slope is the Theil-Sen slope per minute; SlopeLow and SlopeHigh its
	// 95% confidence interval.
	Slope     float64 `json:"slope_per_minute"`
	SlopeLow  float64 `json:"slope_low_per_minute"`
	SlopeHigh float64 `json:"slope_high_per_minute"`
	// LastThird is the Theil-Sen slope per minute over the last third of
	// the checkpoints.
	LastThird float64 `json:"last_third_per_minute"`
	// Noise is the median absolute deviation of the residuals around the
	// Theil-Sen line.
	Noise float64 `json:"noise"`
	// Trend is "flat", "growing", "plateau", "declining" or "unclear".
	Trend string `json:"trend"`
	// Points is how many checkpoints from the baseline on carried the
	// series; with fewer than three the slopes say nothing of a trend.
	Points int `json:"points,omitempty"`
}

// PhaseKind names a phase of the run.
type PhaseKind string

// The phase kinds.
const (
	PhaseSettling PhaseKind = "settling"
	PhaseStable   PhaseKind = "stable"
	PhaseGrowth   PhaseKind = "growth"
	PhasePlateau  PhaseKind = "plateau"
	PhaseDecline  PhaseKind = "decline"
)

// Phase is a span of checkpoints over which goroutines behaved one way.
type Phase struct {
	Kind       PhaseKind `json:"kind"`
	StartIndex int       `json:"start_index"`
	EndIndex   int       `json:"end_index"`
	// Start and End are elapsed seconds since the run started.
	Start float64 `json:"start_seconds"`
	End   float64 `json:"end_seconds"`
	// Rate is goroutine growth per minute over the phase.
	Rate float64 `json:"rate_per_minute"`
	// From and To are the goroutine counts at its ends.
	From float64 `json:"from"`
	To   float64 `json:"to"`
	// Steps is, for growth that came in steps (growth and plateau taking
	// turns, as a leak per rotation does), how many; 0 otherwise.
	Steps int `json:"steps,omitempty"`
}

// Frame is one function call of a stack, without addresses.
type Frame struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int64  `json:"line"`
}

// StackGrowth is one goroutine stack whose count grew.
type StackGrowth struct {
	// Function and Location (file:line) are of the frame that names the
	// stack: the first frame outside the runtime.
	Function string `json:"function"`
	Location string `json:"location"`
	// Stack is the whole stack, innermost frame first.
	Stack []Frame `json:"stack"`
	Base  int64   `json:"base"`
	Final int64   `json:"final"`
	Delta int64   `json:"delta"`
	// Counts is the count at each checkpoint with a profile, in order, and
	// Checkpoints the Index of each; both empty when only two profiles
	// were compared.
	Counts      []int64 `json:"counts,omitempty"`
	Checkpoints []int   `json:"checkpoints,omitempty"`
}

// BlockedGroup is a group of goroutines of a debug=2 dump blocked for longer
// than the threshold, by wait reason and top frame.
type BlockedGroup struct {
	WaitReason string `json:"wait_reason"`
	Function   string `json:"function"`
	Location   string `json:"location"`
	Count      int    `json:"count"`
	// Baseline is how many goroutines of the baseline dump had the same
	// wait reason and top frame, blocked or not; a group present at the
	// baseline is often long-lived by design (an accept loop, say).
	Baseline int `json:"baseline"`
	// MaxMinutes is the longest wait in the group.
	MaxMinutes float64 `json:"max_minutes"`
	Stack      []Frame `json:"stack"`
}

// PerStream is the leak arithmetic. A nil ratio is undefined (divide by 0).
type PerStream struct {
	// Streams is the active streams at the final checkpoint (or the
	// containers, when no stream metric was read).
	Streams float64 `json:"streams"`
	// Rotations is the number of rotations from baseline to final.
	Rotations float64 `json:"rotations"`
	// LeakedGoroutines and NewFDs are the deltas from baseline to final.
	LeakedGoroutines float64  `json:"leaked_goroutines"`
	NewFDs           float64  `json:"new_fds"`
	PerStream        *float64 `json:"goroutines_per_stream,omitempty"`
	PerRotation      *float64 `json:"goroutines_per_rotation,omitempty"`
	PerNewFD         *float64 `json:"goroutines_per_new_fd,omitempty"`
}

// Projections extrapolate the Theil-Sen slopes. A nil time means the limit is
// never reached at the current rate, or the limit is unknown.
type Projections struct {
	GoroutinesPerHour float64 `json:"goroutines_per_hour"`
	GoroutinesPerDay  float64 `json:"goroutines_per_day"`
	GoroutinesPerWeek float64 `json:"goroutines_per_week"`
	FDsPerHour        float64 `json:"fds_per_hour"`
	FDsPerDay         float64 `json:"fds_per_day"`
	FDsPerWeek        float64 `json:"fds_per_week"`
	// MaxFDs is process_max_fds at the final checkpoint; 0 if unknown.
	MaxFDs       float64        `json:"max_fds"`
	TimeToMaxFDs *time.Duration `json:"time_to_max_fds_ns,omitempty"`
	// MemoryPerHour is resident memory growth in bytes per hour.
	MemoryPerHour float64 `json:"memory_bytes_per_hour"`
	// MemoryLimit is Criteria.MemoryLimit; 0 if not given.
	MemoryLimit       float64        `json:"memory_limit_bytes"`
	TimeToMemoryLimit *time.Duration `json:"time_to_memory_limit_ns,omitempty"`
}

// Restart is a restart of the target, seen as a change of
// process_start_time_seconds between two checkpoints.
type Restart struct {
	// Index is the first checkpoint after the restart.
	Index   int       `json:"index"`
	Elapsed float64   `json:"elapsed_seconds"`
	Before  time.Time `json:"before"`
	After   time.Time `json:"after"`
}
