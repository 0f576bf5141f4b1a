package analyze

import "time"

// Sample is one series of a metric: a label set and its value at a
// checkpoint.
type Sample struct {
	Labels map[string]string `json:"labels,omitempty"`
	Value  float64           `json:"value"`
}

// Checkpoint is one line of checkpoints.jsonl: what the harness saw of the
// target at one moment.
type Checkpoint struct {
	// Index counts checkpoints from 0, the first one after warm-up.
	Index int `json:"index"`
	// Time is the wall-clock time of the scrape.
	Time time.Time `json:"time"`
	// Elapsed is the time since the run started (spawn included), in
	// seconds.
	Elapsed float64 `json:"elapsed_seconds"`
	// Metrics holds every scraped metric family the criteria need, by
	// name. A family missing from the scrape is missing from the map.
	Metrics map[string][]Sample `json:"metrics"`
	// Profile is the goroutine profile (debug=0), relative to the run
	// directory, such as "pprof/003.pb.gz". Empty when it failed.
	Profile string `json:"profile,omitempty"`
	// Dump is the full goroutine dump (debug=2), relative to the run
	// directory, present at baseline and final only.
	Dump string `json:"dump,omitempty"`
	// Running is how many of the run's containers the harness saw running
	// just before the scrape; nil when it does not know. Under churn it is
	// what the pool criterion compares with, not the count spawned.
	Running *int `json:"running_containers,omitempty"`
	// Errors lists what went wrong at this checkpoint (a failed profile
	// fetch, say) without stopping the run.
	Errors []string `json:"errors,omitempty"`
}

// RunInfo is run.json: how a run was started.
type RunInfo struct {
	RunID         string            `json:"run_id"`
	StartedAt     time.Time         `json:"started_at"`
	EndedAt       time.Time         `json:"ended_at,omitzero"`
	Command       []string          `json:"command"`
	Flags         map[string]string `json:"flags"`
	Version       string            `json:"logcap_version"`
	Commit        string            `json:"logcap_commit"`
	GoVersion     string            `json:"go_version"`
	EngineVersion string            `json:"engine_version,omitempty"`
	Host          string            `json:"host"`
	// Target is the base URL of the soaked service's /metrics.
	Target string `json:"target"`
	// Builtin is true when the target is logcap's own capturer, started
	// by the soak as a child process.
	Builtin     bool          `json:"builtin"`
	Containers  int           `json:"containers"`
	MaxStreams  int           `json:"max_streams,omitempty"`
	RotateEvery time.Duration `json:"rotate_every_ns,omitempty"`
	Warmup      time.Duration `json:"warmup_ns"`
	Interval    time.Duration `json:"interval_ns"`
	Duration    time.Duration `json:"duration_ns"`
	// Incomplete is set when the run was interrupted before its end.
	Incomplete bool `json:"incomplete,omitempty"`
	// CapturerBinary and CapturerSHA256 name the capturer binary the soak
	// measured (its --capturer) and its sha256, so a re-score still says
	// which binary the figures are of. Empty when not recorded.
	CapturerBinary string `json:"capturer_binary,omitempty"`
	CapturerSHA256 string `json:"capturer_sha256,omitempty"`
	// ImportedFrom is the file `logcap analyze import` read the run from;
	// an imported run's wall-clock times are made up from its elapsed
	// column, so only the times relative to its start mean anything.
	ImportedFrom string `json:"imported_from,omitempty"`
	// Completeness is filled by the harness when the emitters and the
	// sink are logcap's own.
	Completeness *Completeness `json:"completeness,omitempty"`
}

// Completeness tells, per container, whether every emitted sequence
// number arrived in the sink exactly once.
type Completeness struct {
	Containers []ContainerLines `json:"containers"`
}

// ContainerLines is the completeness of one container's numbered lines.
type ContainerLines struct {
	Name string `json:"name"`
	// Emitted is the count the emitter reported in its final line, or
	// the highest sequence number seen when no final line arrived.
	Emitted  int64 `json:"emitted"`
	Captured int64 `json:"captured"`
	Lost     int64 `json:"lost"`
	Repeated int64 `json:"repeated"`
	// FinalSeen is true when the emitter's final line was captured.
	FinalSeen bool `json:"final_seen"`
}
