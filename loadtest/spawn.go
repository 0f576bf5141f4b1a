package loadtest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"github.com/logcap/logcap/internal/engine"
)

// Defaults of SpawnOptions.
const (
	DefaultConcurrency = 8
	DefaultMemoryBytes = 32 << 20
	DefaultNanoCPUs    = 100_000_000 // a tenth of a CPU
	DefaultRate        = 10
	DefaultLineBytes   = 100
	DefaultLongBytes   = 40000
)

// stopTimeout is how long a container gets to write its final line.
const stopTimeout = 5 * time.Second

// SpawnOptions says which containers to start and how.
type SpawnOptions struct {
	Count  int               // containers to start, >= 1
	RunID  string            // run id; empty for engine.NewRunID()
	Labels map[string]string // user labels, checked like ParseLabels

	// Image and Cmd replace the emitter: Cmd runs in Image as given (empty
	// Cmd: the image's own command).
	// Without Image, the emitter image is built from BinaryPath (default:
	// this executable) and the emitter flags below become its command.
	Image      string
	Cmd        []string
	BinaryPath string

	Rate        float64 // lines per second per container (DefaultRate)
	LineBytes   int     // DefaultLineBytes when 0
	StderrShare float64
	LongEvery   int
	LongBytes   int // DefaultLongBytes when 0
	TTY         bool

	Concurrency int   // parallel starts (DefaultConcurrency)
	MemoryBytes int64 // memory limit (DefaultMemoryBytes)
	NanoCPUs    int64 // CPU limit (DefaultNanoCPUs)
	KeepOnError bool  // leave started containers behind on failure

	// Progress, when set, is called after each container starts, never
	// concurrently.
	Progress func(started, total int)
}

// Container is one container logcap spawned.
type Container struct {
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	RunID  string            `json:"run"`
	Image  string            `json:"image"`
	State  string            `json:"state,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
}

// SpawnError lists the containers that failed to start and why.
type SpawnError struct {
	Failed map[string]error // by container name
	Total  int
}

// maxNamesPerReason bounds how many names the error lists for one reason.
const maxNamesPerReason = 5

// Error groups the failed containers by reason, naming a few of each.
func (e *SpawnError) Error() string {
	byReason := map[string][]string{}
	for name, err := range e.Failed {
		byReason[err.Error()] = append(byReason[err.Error()], name)
	}
	parts := make([]string, 0, len(byReason))
	for reason, names := range byReason {
		slices.Sort(names)
		parts = append(parts, fmt.Sprintf("%s: %s", someNames(names), reason))
	}
	slices.Sort(parts)
	return fmt.Sprintf("%d of %d containers failed to start: %s",
		len(e.Failed), e.Total, strings.Join(parts, "; "))
}

func someNames(names []string) string {
	if len(names) <= maxNamesPerReason {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxNamesPerReason], ", "),
		len(names)-maxNamesPerReason)
}

// Spawn starts opts.Count containers of one run and returns once all are
// running, sorted by name. If any fails, the error is a *SpawnError (or
// wraps ctx's error when ctx ended) and every container this call
// created is removed, unless opts.KeepOnError.
func Spawn(ctx context.Context, cli *client.Client, opts SpawnOptions) ([]Container, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	sp, err := newSpawner(ctx, cli, opts)
	if err != nil {
		return nil, err
	}

	indexes := make([]int, opts.Count)
	for i := range indexes {
		indexes[i] = i + 1
	}
	started, created, failed := sp.startAll(ctx, indexes)
	if len(failed) == 0 {
		return started, nil
	}

	var serr error = &SpawnError{Failed: failed, Total: opts.Count}
	if ctx.Err() != nil {
		serr = fmt.Errorf("spawn interrupted with %d of %d started: %w",
			len(started), opts.Count, context.Cause(ctx))
	}
	if opts.KeepOnError {
		return started, serr
	}
	// The removal must run even when ctx was what made the starts fail.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
	defer cancel()
	if _, err := removeOwn(rctx, cli, opts.RunID, created); err != nil {
		return nil, fmt.Errorf("%w; removing the started ones: %w", serr, err)
	}
	return nil, serr
}

// Validate reports the first invalid option, without the engine.
func (o SpawnOptions) Validate() error {
	return o.normalize()
}

// normalize fills defaults and checks everything that needs no engine.
func (o *SpawnOptions) normalize() error {
	if o.Count < 1 {
		return fmt.Errorf("%w: containers %d, want at least 1", ErrSpawnInput, o.Count)
	}
	if o.RunID == "" {
		o.RunID = engine.NewRunID()
	}
	if err := CheckRunID(o.RunID); err != nil {
		return err
	}
	if err := o.checkLabels(); err != nil {
		return err
	}
	if len(o.Cmd) > 0 && o.Image == "" {
		return fmt.Errorf("%w: a command needs an image", ErrSpawnInput)
	}
	o.fillDefaults()
	if o.Image == "" {
		return o.emitOptions("x").Validate()
	}
	return nil
}

func (o *SpawnOptions) checkLabels() error {
	for k, v := range o.Labels {
		if err := checkLabel(k, v, true); err != nil {
			return fmt.Errorf("%w: label %q: %w", ErrSpawnInput, k, err)
		}
	}
	return nil
}

func (o *SpawnOptions) fillDefaults() {
	setDefault(&o.Rate, DefaultRate)
	setDefault(&o.LineBytes, DefaultLineBytes)
	setDefault(&o.LongBytes, DefaultLongBytes)
	setDefault(&o.Concurrency, DefaultConcurrency)
	setDefault(&o.MemoryBytes, DefaultMemoryBytes)
	setDefault(&o.NanoCPUs, DefaultNanoCPUs)
}

func setDefault[T int | int64 | float64](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// emitOptions are the emitter settings of the container called name.
func (o *SpawnOptions) emitOptions(name string) EmitOptions {
	return EmitOptions{
		Name: name, Rate: o.Rate, LineBytes: o.LineBytes, StderrShare: o.StderrShare,
		LongEvery: o.LongEvery, LongBytes: o.LongBytes,
	}
}

// ContainerName is the name of container index of a run: logcap-<run>-NNN.
func ContainerName(runID string, index int) string {
	return fmt.Sprintf("logcap-%s-%03d", runID, index)
}

// containerIndex parses the NNN back out of a name of runID, or -1.
func containerIndex(runID, name string) int {
	s, ok := strings.CutPrefix(strings.TrimPrefix(name, "/"), "logcap-"+runID+"-")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// binaryPath is opts.BinaryPath or this executable.
func (o *SpawnOptions) binaryPath() (string, error) {
	if o.BinaryPath != "" {
		return o.BinaryPath, nil
	}
	p, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find own executable: %w", err)
	}
	return p, nil
}
