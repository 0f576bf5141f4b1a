package loadtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"

	"github.com/logcap/logcap/internal/engine"
)

// opTimeout bounds one engine operation that runs on after its caller's
// context ended.
const opTimeout = time.Minute

// ErrImageNotFound means the image asked for is not on the engine; logcap
// never pulls.
var ErrImageNotFound = errors.New("image not found on the engine (logcap never pulls)")

// spawner creates and starts the containers of one run.
type spawner struct {
	cli    *client.Client
	opts   SpawnOptions
	image  string
	labels map[string]string
}

// newSpawner resolves the image; opts must be normalized.
func newSpawner(ctx context.Context, cli *client.Client, opts SpawnOptions) (*spawner, error) {
	image, err := resolveImage(ctx, cli, &opts)
	if err != nil {
		return nil, err
	}
	return &spawner{cli: cli, opts: opts, image: image, labels: runLabels(opts)}, nil
}

func resolveImage(ctx context.Context, cli *client.Client, opts *SpawnOptions) (string, error) {
	if opts.Image == "" {
		bin, err := opts.binaryPath()
		if err != nil {
			return "", err
		}
		return engine.EnsureImage(ctx, cli, bin)
	}
	_, err := cli.ImageInspect(ctx, opts.Image)
	if client.IsErrNotFound(err) {
		return "", fmt.Errorf("%q: %w", opts.Image, ErrImageNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("inspect image %q: %w", opts.Image, err)
	}
	return opts.Image, nil
}

// runLabels are the user labels over the defaults, then logcap's own.
func runLabels(opts SpawnOptions) map[string]string {
	labels := maps.Clone(DefaultLabels)
	maps.Copy(labels, opts.Labels)
	labels[engine.LabelManaged] = "true"
	labels[engine.LabelRun] = opts.RunID
	return labels
}

// startResult is what one start attempt left on the engine.
type startResult struct {
	c   Container // ID set once created
	err error

	// maybe is set when create failed in a way (a cancelled request, a
	// broken connection) that may still have left a container behind.
	maybe bool
}

// startAll starts one container per index with at most
// opts.Concurrency at a time. It returns the started containers sorted by
// name, what to remove to undo the call (ids of created containers, and
// names of those whose creation may have happened unseen), and the
// failures by name.
//
// The workers are owned by startAll: they stop when the index channel is
// drained and startAll waits for all of them before it returns.
func (s *spawner) startAll(ctx context.Context, indexes []int) (
	[]Container, []string, map[string]error) {
	todo := make(chan int)
	results := make(chan startResult)
	var wg sync.WaitGroup
	for range min(s.opts.Concurrency, len(indexes)) {
		wg.Go(func() {
			for i := range todo {
				results <- s.start(ctx, i)
			}
		})
	}
	go func() {
		defer close(todo)
		for _, i := range indexes {
			todo <- i
		}
	}()
	go func() { wg.Wait(); close(results) }()

	return s.collect(results, len(indexes))
}

// collect drains results until the workers are done, reporting progress.
func (s *spawner) collect(results <-chan startResult, total int) (
	[]Container, []string, map[string]error) {
	var started []Container
	var created []string
	failed := map[string]error{}
	for r := range results {
		switch {
		case r.c.ID != "":
			created = append(created, r.c.ID)
		case r.maybe:
			created = append(created, r.c.Name)
		}
		if r.err != nil {
			failed[r.c.Name] = r.err
			continue
		}
		started = append(started, r.c)
		if s.opts.Progress != nil {
			s.opts.Progress(len(started), total)
		}
	}
	slices.SortFunc(started, func(a, b Container) int { return strings.Compare(a.Name, b.Name) })
	return started, created, failed
}

// start creates and starts container index. On a start failure the
// result still carries the id of what was created.
//
// Once begun, a start is not abandoned when ctx ends: a cancelled request
// can leave a container the daemon created but nobody saw. ctx only stops
// starts that have not begun.
func (s *spawner) start(ctx context.Context, index int) startResult {
	name := ContainerName(s.opts.RunID, index)
	c := Container{Name: name, RunID: s.opts.RunID, Image: s.image, State: "running",
		Labels: s.labels}
	if err := ctx.Err(); err != nil {
		return startResult{c: c, err: fmt.Errorf("not started: %w", context.Cause(ctx))}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
	defer cancel()

	resp, err := s.cli.ContainerCreate(ctx, s.config(name), s.hostConfig(), nil, nil, name)
	if err != nil {
		// A conflict means the name is taken by a container that is not
		// ours to remove; any other failure may hide a finished create.
		return startResult{c: c, err: fmt.Errorf("create: %w", err), maybe: !errdefs.IsConflict(err)}
	}
	c.ID = resp.ID
	if err := s.cli.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		return startResult{c: c, err: fmt.Errorf("start: %w", err)}
	}
	return startResult{c: c}
}

func (s *spawner) config(name string) *container.Config {
	timeout := int(stopTimeout.Seconds())
	return &container.Config{
		Image:       s.image,
		Cmd:         s.cmd(name),
		Labels:      s.labels,
		Tty:         s.opts.TTY,
		StopTimeout: &timeout,
	}
}

// cmd is opts.Cmd, or the emitter flags after the image's "/logcap emit".
func (s *spawner) cmd(name string) []string {
	if s.opts.Image != "" {
		return s.opts.Cmd
	}
	o := s.opts
	return []string{
		"--name", name,
		"--rate", strconv.FormatFloat(o.Rate, 'g', -1, 64),
		"--line-bytes", strconv.Itoa(o.LineBytes),
		"--stderr-share", strconv.FormatFloat(o.StderrShare, 'g', -1, 64),
		"--long-every", strconv.Itoa(o.LongEvery),
		"--long-bytes", strconv.Itoa(o.LongBytes),
	}
}

func (s *spawner) hostConfig() *container.HostConfig {
	pids := int64(64)
	return &container.HostConfig{
		NetworkMode: "none",
		Resources: container.Resources{
			Memory:    s.opts.MemoryBytes,
			NanoCPUs:  s.opts.NanoCPUs,
			PidsLimit: &pids,
		},
		// Set, not inherited, so that ContainerLogs can read the lines back
		// whatever the engine's default driver is.
		LogConfig: container.LogConfig{
			Type:   "json-file",
			Config: map[string]string{"max-size": "10m", "max-file": "3"},
		},
	}
}
