package analyze

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Criteria are the thresholds, metric names and switches Score uses.
// DefaultCriteria gives DESIGN.md's defaults; RegisterFlags lets a command
// change them.
type Criteria struct {
	// MaxGoroutineGrowth is the goroutine growth per minute a run must
	// stay below (criterion 1).
	MaxGoroutineGrowth float64 `json:"max_goroutine_growth_per_minute"`
	// MaxFDGrowth is the growth of open file descriptors over the run a
	// run must stay below (criterion 3).
	MaxFDGrowth float64 `json:"max_fd_growth"`
	// MinCheckpoints and MinDuration: a shorter run is INCONCLUSIVE.
	MinCheckpoints int           `json:"min_checkpoints"`
	MinDuration    time.Duration `json:"min_duration_ns"`
	// MaxNoise bounds how noisy a goroutine series may be for a verdict:
	// the width of the 95% interval of its Theil-Sen slope, as a multiple
	// of MaxGoroutineGrowth. A wider interval is INCONCLUSIVE.
	MaxNoise float64 `json:"max_noise"`
	// MemoryLimit in bytes, for the projection; 0 for none.
	MemoryLimit float64 `json:"memory_limit_bytes"`
	// BlockedAfter is how long a goroutine of a dump must wait to be
	// listed as blocked; 0 means the run's rotation interval (or 5m).
	BlockedAfter time.Duration `json:"blocked_after_ns"`
	// Disabled criteria are scored SKIPPED. Names are the Crit* constants.
	Disabled []string `json:"disabled,omitempty"`
	// Metrics are the metric names read.
	Metrics MetricNames `json:"metrics"`
}

// MetricNames are the Prometheus metric names Score reads, defaults matching
// logcap's own capturer.
type MetricNames struct {
	Goroutines    string `json:"goroutines"`
	OpenFDs       string `json:"open_fds"`
	MaxFDs        string `json:"max_fds"`
	ResidentBytes string `json:"resident_bytes"`
	StartTime     string `json:"start_time"`
	StreamsActive string `json:"streams_active"`
	PoolCapacity  string `json:"pool_capacity"`
	Rotations     string `json:"rotations"`
	Lines         string `json:"lines"`
	Healthy       string `json:"healthy"`
	// ContainersFollowed stands in for RunInfo.Containers when that is 0.
	ContainersFollowed string `json:"containers_followed"`
}

// DefaultCriteria returns DESIGN.md's five criteria with their default
// thresholds and logcap's metric names.
func DefaultCriteria() Criteria {
	return Criteria{
		MaxGoroutineGrowth: 2,
		MaxFDGrowth:        100,
		MinCheckpoints:     3,
		MinDuration:        5 * time.Minute,
		MaxNoise:           2,
		Metrics: MetricNames{
			Goroutines:         "go_goroutines",
			OpenFDs:            "process_open_fds",
			MaxFDs:             "process_max_fds",
			ResidentBytes:      "process_resident_memory_bytes",
			StartTime:          "process_start_time_seconds",
			StreamsActive:      "logcap_streams_active",
			PoolCapacity:       "logcap_stream_pool_capacity",
			Rotations:          "logcap_rotations_total",
			Lines:              "logcap_lines_total",
			Healthy:            "logcap_component_healthy",
			ContainersFollowed: "logcap_containers_followed",
		},
	}
}

// CriterionNames lists the criteria --disable accepts, in report order.
var CriterionNames = []string{
	CritGoroutines, CritPool, CritFDs, CritHealth, CritRotations,
	CritLiveness, CritCompleteness,
}

// Enabled reports whether the criterion named name is scored.
func (c Criteria) Enabled(name string) bool {
	return !slices.Contains(c.Disabled, name)
}

// RegisterFlags adds the criteria flags to fs, bound to c. soak and analyze
// share them, so a run is re-scored with the same words it was run with.
func RegisterFlags(fs *pflag.FlagSet, c *Criteria) {
	fs.Float64Var(&c.MaxGoroutineGrowth, "max-goroutine-growth", c.MaxGoroutineGrowth,
		"criterion 1: goroutine growth per minute must stay below this")
	fs.Float64Var(&c.MaxFDGrowth, "max-fd-growth", c.MaxFDGrowth,
		"criterion 3: open file descriptors may grow by less than this over the run")
	fs.IntVar(&c.MinCheckpoints, "min-checkpoints", c.MinCheckpoints,
		"fewer checkpoints than this make the verdict INCONCLUSIVE")
	fs.DurationVar(&c.MinDuration, "min-duration", c.MinDuration,
		"a run shorter than this (baseline to final) is INCONCLUSIVE")
	fs.Float64Var(&c.MaxNoise, "max-noise", c.MaxNoise,
		"widest 95% interval of the goroutine slope, in thresholds, that still decides")
	fs.Var(&bytesValue{&c.MemoryLimit}, "memory-limit",
		"memory limit for the projection, such as 512MiB (0: none)")
	fs.DurationVar(&c.BlockedAfter, "blocked-after", c.BlockedAfter,
		"list goroutines blocked longer than this (0: the rotation interval)")
	fs.Var(&disableValue{&c.Disabled}, "disable",
		"criteria to skip, comma separated: "+strings.Join(CriterionNames, ","))
	registerMetricFlags(fs, &c.Metrics)
}

// RegisterMetricFlags adds only the --metric-... flags to fs, bound to m,
// for commands that read metrics by name but score nothing.
func RegisterMetricFlags(fs *pflag.FlagSet, m *MetricNames) {
	registerMetricFlags(fs, m)
}

func registerMetricFlags(fs *pflag.FlagSet, m *MetricNames) {
	for _, f := range []struct {
		name string
		p    *string
	}{
		{"goroutines", &m.Goroutines},
		{"open-fds", &m.OpenFDs},
		{"max-fds", &m.MaxFDs},
		{"resident-bytes", &m.ResidentBytes},
		{"start-time", &m.StartTime},
		{"streams-active", &m.StreamsActive},
		{"pool-capacity", &m.PoolCapacity},
		{"rotations", &m.Rotations},
		{"lines", &m.Lines},
		{"healthy", &m.Healthy},
		{"containers-followed", &m.ContainersFollowed},
	} {
		fs.StringVar(f.p, "metric-"+f.name, *f.p, "metric name read for "+f.name)
	}
}

// disableValue is the --disable flag: a comma separated list of criterion
// names, each checked.
type disableValue struct{ p *[]string }

func (d *disableValue) String() string {
	if d.p == nil {
		return ""
	}
	return strings.Join(*d.p, ",")
}

func (d *disableValue) Type() string { return "names" }

func (d *disableValue) Set(s string) error {
	for n := range strings.SplitSeq(s, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !slices.Contains(CriterionNames, n) {
			return fmt.Errorf("unknown criterion %q: want one of %s",
				n, strings.Join(CriterionNames, ","))
		}
		if !slices.Contains(*d.p, n) {
			*d.p = append(*d.p, n)
		}
	}
	return nil
}

// bytesValue is a size flag: a plain number of bytes or one with a unit
// (KiB, MiB, GiB, KB, MB, GB).
type bytesValue struct{ p *float64 }

func (b *bytesValue) String() string {
	if b.p == nil {
		return "0"
	}
	return fmt.Sprintf("%.0f", *b.p)
}

func (b *bytesValue) Type() string { return "bytes" }

func (b *bytesValue) Set(s string) error {
	v, err := ParseBytes(s)
	if err != nil {
		return err
	}
	*b.p = v
	return nil
}

// ParseBytes reads a size such as "512MiB", "2GB" or "1048576".
func ParseBytes(s string) (float64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
	}
	t := strings.TrimSpace(s)
	mult := 1.0
	for _, u := range units {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("size %q: want a number of bytes such as 512MiB", s)
	}
	return v * mult, nil
}

// RunCriteria returns c changed by the criteria flags recorded in a run's
// RunInfo.Flags (keys with or without leading dashes), except those for
// which keep reports true (flags given on the command line), so a run is
// re-scored by the thresholds it ran with unless told otherwise. Recorded
// keys that are not criteria flags are ignored; a bad value is an error.
func RunCriteria(c Criteria, recorded map[string]string,
	keep func(flag string) bool) (Criteria, error) {
	c.Disabled = slices.Clone(c.Disabled)
	fs := pflag.NewFlagSet("recorded", pflag.ContinueOnError)
	RegisterFlags(fs, &c)
	for _, k := range slices.Sorted(maps.Keys(recorded)) {
		name := strings.TrimLeft(k, "-")
		if fs.Lookup(name) == nil || (keep != nil && keep(name)) {
			continue
		}
		if err := fs.Set(name, recorded[k]); err != nil {
			return c, fmt.Errorf("run.json flag --%s=%q: %w", name, recorded[k], err)
		}
	}
	return c, nil
}

// Validate refuses negative thresholds and an empty metric name for an
// enabled criterion.
func (c Criteria) Validate() error {
	for _, v := range []struct {
		flag string
		val  float64
	}{
		{"max-goroutine-growth", c.MaxGoroutineGrowth}, {"max-fd-growth", c.MaxFDGrowth},
		{"min-checkpoints", float64(c.MinCheckpoints)},
		{"min-duration", float64(c.MinDuration)}, {"max-noise", c.MaxNoise},
		{"memory-limit", c.MemoryLimit}, {"blocked-after", float64(c.BlockedAfter)},
	} {
		if v.val < 0 || math.IsNaN(v.val) {
			return fmt.Errorf("--%s must not be negative", v.flag)
		}
	}
	m := c.Metrics
	for _, n := range []struct{ crit, flag, name string }{
		{CritGoroutines, "metric-goroutines", m.Goroutines},
		{CritFDs, "metric-open-fds", m.OpenFDs},
		{CritPool, "metric-streams-active", m.StreamsActive},
		{CritPool, "metric-pool-capacity", m.PoolCapacity},
		{CritHealth, "metric-healthy", m.Healthy},
		{CritRotations, "metric-rotations", m.Rotations},
		{CritLiveness, "metric-lines", m.Lines},
	} {
		if n.name == "" && c.Enabled(n.crit) {
			return fmt.Errorf("--%s is empty: name the metric or --disable %s", n.flag, n.crit)
		}
	}
	return nil
}
