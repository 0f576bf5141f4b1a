package loadtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"time"

	"github.com/logcap/logcap/analyze"
	"github.com/logcap/logcap/internal/engine"
)

// Errors Soak returns for the two ends a caller branches on. Any other
// error means the harness failed.
var (
	// ErrInterrupted: ctx ended before the run did. The report is written
	// from what was collected and marked incomplete.
	ErrInterrupted = errors.New("soak interrupted")
	// ErrTargetLost: the target stopped answering (or the child capturer
	// exited) mid-run. The report is written from what was collected.
	ErrTargetLost = errors.New("target stopped answering")
	// ErrSoakInput marks invalid SoakOptions.
	ErrSoakInput = errors.New("invalid soak options")
)

// Defaults of SoakOptions.
const (
	DefaultSoakDuration = 10 * time.Minute
	DefaultWarmup       = 2 * time.Minute
	DefaultInterval     = 2 * time.Minute
	DefaultMaxStreams   = 50
	DefaultRotateEvery  = 5 * time.Minute
	scrapeTimeout       = 10 * time.Second
	readyTimeout        = 30 * time.Second
	childGrace          = 15 * time.Second
)

// teardownTimeout bounds each step of the teardown: stopping and settling,
// then removing the containers (a variable so tests can shorten it).
var teardownTimeout = 3 * time.Minute

// SoakOptions says what to soak, under which load, and for how long.
type SoakOptions struct {
	// Dir is the run directory; it must not exist or be empty. Empty
	// means ./soak-<UTC timestamp>.
	Dir string
	// RunID labels the spawned containers and the child's filter; empty
	// means engine.NewRunID().
	RunID string

	// Target is the URL of a running service to soak (its base or its
	// /metrics). Empty means the built-in capturer: Capturer is started as
	// `Capturer run <flags>`.
	Target      string
	Pprof       string // pprof base; default the target's /debug/pprof/
	Capturer    string
	MaxStreams  int
	RotateEvery time.Duration

	// Containers to spawn as load, with Spawn's emitter settings (Count
	// and RunID are set by Soak). Churn is operations per minute; 0 for
	// none.
	Containers   int
	Spawn        SpawnOptions
	Churn        float64
	RestartShare float64

	Duration time.Duration // from the start of the run, spawn included
	Warmup   time.Duration // from the moment the target answers
	Interval time.Duration

	Criteria analyze.Criteria

	// Info carries what the command knows of itself: Command, Flags,
	// Version and Commit. Soak fills in the rest of run.json.
	Info analyze.RunInfo

	Logger *slog.Logger // nil discards
	Live   *Live        // nil shows nothing
}

// Outcome is what a soak produced. Report is empty when no report could
// be written.
type Outcome struct {
	Dir    string
	Report string
	Result analyze.Result
}

// Validate reports the first invalid option. It needs no engine and
// writes nothing.
func (o *SoakOptions) Validate() error {
	checks := []struct {
		bad bool
		msg string
	}{
		{o.Interval <= 0, fmt.Sprintf("interval %s must be above 0", o.Interval)},
		{o.Warmup < 0, fmt.Sprintf("warm-up %s below 0", o.Warmup)},
		{o.Duration <= o.Warmup, fmt.Sprintf("duration %s must exceed the warm-up %s",
			o.Duration, o.Warmup)},
		{o.Containers < 0, fmt.Sprintf("containers %d below 0", o.Containers)},
		{o.Target == "" && o.Capturer == "", "no target and no capturer binary"},
		{o.Target == "" && o.MaxStreams < 1, fmt.Sprintf("max streams %d below 1", o.MaxStreams)},
		{o.Target == "" && o.RotateEvery <= 0,
			fmt.Sprintf("rotate-every %s must be above 0", o.RotateEvery)},
		{o.Churn < 0, fmt.Sprintf("churn %v per minute below 0", o.Churn)},
		{o.Churn > 0 && o.Containers == 0, "churn needs containers"},
		{!(o.RestartShare >= 0 && o.RestartShare <= 1),
			fmt.Sprintf("restart share %v not in 0..1", o.RestartShare)},
	}
	for _, c := range checks {
		if c.bad {
			return fmt.Errorf("%w: %s", ErrSoakInput, c.msg)
		}
	}
	if err := o.validateLength(); err != nil {
		return err
	}
	return o.validateURLsAndLoad()
}

// validateLength refuses a run too short for its criteria, whose verdict
// could only be INCONCLUSIVE. Spawning and the target's start eat into
// the span too, so a run that passes this check may still fall short.
func (o *SoakOptions) validateLength() error {
	span := o.Duration - o.Warmup
	if minimum := o.Criteria.MinDuration; span < minimum {
		return fmt.Errorf("%w: --duration %s leaves %s after --warmup %s, less than "+
			"--min-duration %s: the verdict could only be INCONCLUSIVE; lengthen --duration "+
			"or lower --min-duration", ErrSoakInput, shortDuration(o.Duration),
			shortDuration(span), shortDuration(o.Warmup), shortDuration(minimum))
	}
	t0 := time.Time{}
	fit := len(schedule(t0.Add(o.Warmup), t0.Add(o.Duration), o.Interval))
	if minimum := o.Criteria.MinCheckpoints; fit < minimum {
		return fmt.Errorf("%w: --duration %s with --warmup %s and --interval %s fits %d "+
			"checkpoints, fewer than --min-checkpoints %d: the verdict could only be "+
			"INCONCLUSIVE; lengthen --duration, shorten --interval or lower --min-checkpoints",
			ErrSoakInput, shortDuration(o.Duration), shortDuration(o.Warmup),
			shortDuration(o.Interval), fit, minimum)
	}
	return nil
}

// shortDuration writes d without trailing zero units: 3m, not 3m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (o *SoakOptions) validateURLsAndLoad() error {
	if o.Builtin() {
		if _, err := exec.LookPath(o.Capturer); err != nil {
			return fmt.Errorf("%w: capturer: %w", ErrSoakInput, err)
		}
	}
	if o.Target != "" || o.Pprof != "" {
		target := o.Target
		if target == "" {
			target = "http://127.0.0.1:1" // the child's address is not known yet
		}
		if _, err := NewScraper(target, o.Pprof, time.Second); err != nil {
			return fmt.Errorf("%w: %w", ErrSoakInput, err)
		}
	}
	if o.RunID != "" {
		if err := CheckRunID(o.RunID); err != nil {
			return fmt.Errorf("%w: %w", ErrSoakInput, err)
		}
	}
	if o.Containers > 0 {
		sp := o.spawnOptions()
		sp.RunID = "check"
		if err := sp.Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrSoakInput, err)
		}
	}
	return nil
}

// Builtin reports whether the soak starts logcap's own capturer.
func (o *SoakOptions) Builtin() bool { return o.Target == "" }

func (o *SoakOptions) spawnOptions() SpawnOptions {
	sp := o.Spawn
	sp.Count, sp.RunID = o.Containers, o.RunID
	return sp
}

// Soak runs one soak: it spawns the load, starts the child capturer (or
// uses Target), waits for the warm-up, takes a checkpoint every Interval
// until Duration, tears everything down, scores the run and writes the
// report into the run directory.
//
// On error the Outcome still names the report when one was written: always
// after ErrInterrupted and ErrTargetLost, and after a metric that never
// appeared (an error wrapping analyze.ErrMissingMetric). Teardown (child
// capturer and spawned containers) happens on every path.
func Soak(ctx context.Context, opts SoakOptions) (Outcome, error) {
	if err := opts.Validate(); err != nil {
		return Outcome{}, err
	}
	s, err := newSoak(opts)
	if err != nil {
		return Outcome{}, err
	}
	defer s.teardown(ctx, false)
	s.log.Info("soak starting", "run", s.opts.RunID, "dir", s.dir,
		"containers", s.opts.Containers, "duration", s.opts.Duration)

	runErr := s.run(ctx)
	if ctx.Err() != nil && runErr != nil {
		runErr = fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
	}
	s.teardown(ctx, runErr == nil)
	out, err := s.finish(runErr)
	s.logEnd(out)
	return out, err
}

// logEnd is the soak's last log line: where the run is, and how to remove
// the emitter image when this run built one.
func (s *soak) logEnd(out Outcome) {
	args := []any{"dir", s.dir}
	if out.Result.Verdict != "" {
		args = append(args, "verdict", out.Result.Verdict)
	}
	if s.load != nil && len(s.load.builtImages) > 0 {
		args = append(args, "images_built", s.load.builtImages,
			"remove_images_with", "logcap spawn --cleanup --images")
	}
	s.log.Info("soak finished", args...)
}

// soak is the state of one Soak call.
type soak struct {
	opts  SoakOptions
	dir   string
	info  analyze.RunInfo
	log   *slog.Logger
	start time.Time

	load    *load    // nil without containers
	child   *child   // nil with a Target
	scraper *Scraper // nil until the target is known
	names   []string // metric names the criteria read
	plan    []time.Time

	taken int        // checkpoints appended
	gor   goroutines // for the live line

	tornDown    bool
	notes       []string // remarks for the report
	teardownErr error
}

func newSoak(opts SoakOptions) (*soak, error) {
	s := &soak{opts: opts, start: time.Now(), log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.opts.RunID == "" {
		s.opts.RunID = engine.NewRunID()
	}
	s.dir = opts.Dir
	if s.dir == "" {
		s.dir = "soak-" + s.start.UTC().Format("20060102-150405")
	}
	s.names = criteriaMetrics(opts.Criteria)

	if err := makeRunDir(s.dir); err != nil {
		return nil, err
	}
	s.info = s.runInfo()
	if err := analyze.WriteRunInfo(s.dir, s.info); err != nil {
		return nil, err
	}
	return s, nil
}

// makeRunDir creates dir and dir/pprof. An existing dir must be empty, so
// a soak never mixes its files with an earlier run's.
func makeRunDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err == nil && len(entries) > 0 {
		return fmt.Errorf("%w: run directory %s is not empty", ErrSoakInput, dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, "pprof"), 0o755); err != nil {
		return fmt.Errorf("create run directory: %w", err)
	}
	return nil
}

func (s *soak) runInfo() analyze.RunInfo {
	info := s.opts.Info
	host, _ := os.Hostname()
	info.RunID = s.opts.RunID
	info.StartedAt = s.start.UTC()
	info.GoVersion = runtime.Version()
	info.Host = host
	info.Target = s.opts.Target
	info.Builtin = s.opts.Builtin()
	info.Containers = s.opts.Containers
	if info.Builtin {
		info.MaxStreams = s.opts.MaxStreams
		info.RotateEvery = s.opts.RotateEvery
	}
	info.Warmup, info.Interval, info.Duration = s.opts.Warmup, s.opts.Interval, s.opts.Duration
	return info
}

// criteriaMetrics lists the metric names the criteria read: every string
// field of analyze.MetricNames, so a name added there is scraped too.
func criteriaMetrics(c analyze.Criteria) []string {
	v := reflect.ValueOf(c.Metrics)
	var names []string
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.String && f.String() != "" {
			names = append(names, f.String())
		}
	}
	return sortedNames(names)
}

// run is the soak up to its final checkpoint: load and target, warm-up,
// checkpoints.
func (s *soak) run(ctx context.Context) error {
	if err := s.startLoadAndTarget(ctx); err != nil {
		return err
	}
	if err := analyze.WriteRunInfo(s.dir, s.info); err != nil {
		return err
	}

	ready := time.Now()
	s.plan = schedule(ready.Add(s.opts.Warmup), s.start.Add(s.opts.Duration), s.opts.Interval)
	s.log.Info("target answering; warming up", "target", s.scraper.MetricsURL,
		"warmup", s.opts.Warmup, "checkpoints", len(s.plan))
	for i, at := range s.plan {
		if err := s.waitUntil(ctx, at, i == 0); err != nil {
			return err
		}
		if err := s.checkpoint(ctx, i, i == 0 || i == len(s.plan)-1); err != nil {
			return err
		}
	}
	return nil
}

// startLoadAndTarget spawns the load before the built-in capturer starts,
// so it finds the containers in its first list; an external target must
// answer before any container is spawned for it.
func (s *soak) startLoadAndTarget(ctx context.Context) error {
	steps := []func(context.Context) error{s.startLoad, s.startTarget}
	if !s.opts.Builtin() {
		steps[0], steps[1] = steps[1], steps[0]
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// schedule returns the checkpoint times: the baseline, one every interval,
// and the final one at end. A last regular checkpoint closer to end than
// half an interval is dropped in favour of the final one.
func schedule(baseline, end time.Time, interval time.Duration) []time.Time {
	plan := []time.Time{baseline}
	for t := baseline.Add(interval); end.Sub(t) >= interval/2; t = t.Add(interval) {
		plan = append(plan, t)
	}
	if end.After(baseline) {
		plan = append(plan, end)
	}
	return plan
}

// startLoad connects to the engine when the run needs it, and spawns the
// containers and the churn.
func (s *soak) startLoad(ctx context.Context) error {
	if s.opts.Containers == 0 && !s.opts.Builtin() {
		return nil
	}
	l, err := newLoad(ctx, s.opts, s.log)
	if err != nil {
		return err
	}
	s.load = l
	s.info.EngineVersion = l.version
	if s.opts.Containers == 0 {
		return nil
	}

	s.live("spawning")
	progress := func(started, total int) { s.live(fmt.Sprintf("spawning %d/%d", started, total)) }
	if err := l.spawn(ctx, progress); err != nil {
		return err
	}
	s.log.Info("containers running", "run", s.opts.RunID, "containers", len(l.names),
		"took", time.Since(s.start).Round(time.Millisecond))
	l.startChurn(ctx)
	return nil
}

// startTarget starts the child capturer, or takes Target, and waits until
// its /metrics answers.
func (s *soak) startTarget(ctx context.Context) error {
	target := s.opts.Target
	if s.opts.Builtin() {
		addr, err := freeLoopbackAddr()
		if err != nil {
			return err
		}
		c, err := startChild(s.childOptions(addr))
		if err != nil {
			return err
		}
		s.child = c
		target = "http://" + addr
		s.info.Target = target
		s.log.Info("capturer started", "pid", c.Pid(), "listen", addr)
		s.recordCapturer()
	}
	sc, err := NewScraper(target, s.opts.Pprof, scrapeTimeout)
	if err != nil {
		return err
	}
	s.scraper = sc

	s.live("starting")
	hc := &http.Client{Timeout: time.Second}
	defer hc.CloseIdleConnections()
	if err := waitReady(ctx, hc, sc.MetricsURL, s.child, readyTimeout); err != nil {
		return fmt.Errorf("wait for target: %w", err)
	}
	return nil
}

func (s *soak) childOptions(addr string) childOptions {
	return childOptions{
		Path:        s.opts.Capturer,
		Listen:      addr,
		RunID:       s.opts.RunID,
		MaxStreams:  s.opts.MaxStreams,
		RotateEvery: s.opts.RotateEvery,
		Output:      filepath.Join(s.dir, SinkFile),
		LogPath:     filepath.Join(s.dir, CapturerLogFile),
	}
}

// recordCapturer records the binary measured, with its sha256, in
// run.json: with --capturer it is not the logcap whose version run.json
// records. The report's notes name it from there.
func (s *soak) recordCapturer() {
	path := s.opts.Capturer
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	s.info.CapturerBinary = path
	sum, err := fileSHA256(path)
	if err != nil {
		s.note("capturer %s: no sha256: %v", path, err)
		return
	}
	s.info.CapturerSHA256 = sum
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Files of the built-in capturer in the run directory.
const (
	SinkFile        = "lines.jsonl"
	CapturerLogFile = "capturer.log"
)

// waitUntil sleeps until at, redrawing the live line every second. It
// ends early when ctx ends or the child capturer exits.
func (s *soak) waitUntil(ctx context.Context, at time.Time, warmup bool) error {
	phase := "checkpoint"
	if warmup {
		phase = "warm-up"
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	timer := time.NewTimer(time.Until(at))
	defer timer.Stop()
	for {
		s.live(phase)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-childDone(s.child):
			return fmt.Errorf("%w: %w", ErrTargetLost, s.child.exitErr())
		case <-timer.C:
			return nil
		case <-tick.C:
		}
	}
}

// live redraws the live line.
func (s *soak) live(phase string) {
	now := time.Now()
	st := LiveState{
		Phase:      phase,
		Checkpoint: s.taken,
		Total:      len(s.plan),
		Elapsed:    now.Sub(s.start),
		Remaining:  s.start.Add(s.opts.Duration).Sub(now),
	}
	st.Goroutines, st.HaveGoroutines = s.gor.last, s.gor.haveLast
	st.Growth, st.HaveGrowth = s.gor.growth()
	s.opts.Live.Update(st)
}

// goroutines follows the goroutine count for the live line: a rough
// growth from baseline to now, not the verdict's estimate.
type goroutines struct {
	base, last         float64
	baseAt, lastAt     time.Time
	haveBase, haveLast bool
}

func (g *goroutines) observe(v float64, at time.Time) {
	if !g.haveBase {
		g.base, g.baseAt, g.haveBase = v, at, true
	}
	g.last, g.lastAt, g.haveLast = v, at, true
}

// growth is per minute since the baseline, once a minute fraction passed.
func (g *goroutines) growth() (float64, bool) {
	mins := g.lastAt.Sub(g.baseAt).Minutes()
	if !g.haveBase || mins <= 0 {
		return 0, false
	}
	return (g.last - g.base) / mins, true
}
