package loadtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/logcap/logcap/internal/engine"
)

// load is the engine side of a soak: the spawned containers of its run id
// and the churn that keeps replacing them.
type load struct {
	cli     *client.Client
	version string
	opts    SoakOptions
	log     *slog.Logger
	names   []string // containers spawned at the start
	// builtImages are the logcap images that appeared while spawning: the
	// emitter image was built for this binary. The soak leaves them, since
	// later runs reuse them.
	builtImages []string

	// The churn goroutine is owned by load: stopChurn cancels it and
	// waits for it to return.
	churnCancel context.CancelFunc
	churnDone   chan struct{}
	churnStats  ChurnStats
	churnErr    error
}

func newLoad(ctx context.Context, opts SoakOptions, log *slog.Logger) (*load, error) {
	cli, err := engine.Connect(ctx)
	if err != nil {
		return nil, err
	}
	v, err := cli.ServerVersion(ctx)
	if err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("engine version: %w", err)
	}
	return &load{cli: cli, version: v.Version, opts: opts, log: log}, nil
}

// spawn starts the containers, calling progress as they start. Spawn
// removes what it started when it fails; the soak's teardown removes
// anything left with the run id.
func (l *load) spawn(ctx context.Context, progress func(started, total int)) error {
	sp := l.opts.spawnOptions()
	sp.Progress = progress
	before, beforeErr := managedImages(ctx, l.cli)
	list, err := Spawn(ctx, l.cli, sp)
	if err != nil {
		return fmt.Errorf("spawn: %w", err)
	}
	if after, afterErr := managedImages(ctx, l.cli); beforeErr == nil && afterErr == nil {
		l.builtImages = newImages(before, after)
	}
	for _, c := range list {
		l.names = append(l.names, c.Name)
	}
	return nil
}

// startChurn starts the churn goroutine when a churn rate is set.
func (l *load) startChurn(ctx context.Context) {
	if l.opts.Churn <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	l.churnCancel, l.churnDone = cancel, make(chan struct{})
	opts := ChurnOptions{
		Spawn:        l.opts.spawnOptions(),
		PerMinute:    l.opts.Churn,
		RestartShare: l.opts.RestartShare,
		Logger:       l.log,
	}
	go func() {
		defer close(l.churnDone)
		l.churnStats, l.churnErr = Churn(ctx, l.cli, opts)
	}()
}

// stopChurn ends the churn and waits for it. It returns the churn's error.
func (l *load) stopChurn() error {
	if l.churnCancel == nil {
		return nil
	}
	l.churnCancel()
	<-l.churnDone
	l.churnCancel = nil
	l.log.Info("churn stopped", "replaced", l.churnStats.Replaced,
		"restarted", l.churnStats.Restarted, "failed", l.churnStats.Failed)
	return l.churnErr
}

// stop stops every running container of the run (SIGTERM, so each
// emitter writes its final line) without removing them, a few at a time.
// It returns the names of those it stopped.
func (l *load) stop(ctx context.Context) ([]string, error) {
	list, err := List(ctx, l.cli, l.opts.RunID)
	if err != nil {
		return nil, err
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		stopped []string
		errs    []error
	)
	sem := make(chan struct{}, removeConcurrency)
	timeout := int(stopTimeout.Seconds())
	for _, c := range list {
		if c.State != "running" {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			err := l.cli.ContainerStop(ctx, c.ID, container.StopOptions{Timeout: &timeout})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				stopped = append(stopped, c.Name)
			case !client.IsErrNotFound(err):
				errs = append(errs, fmt.Errorf("stop %s: %w", c.Name, err))
			}
		})
	}
	wg.Wait()
	slices.Sort(stopped)
	return stopped, errors.Join(errs...)
}

// cleanup removes every container of the run and closes the client.
func (l *load) cleanup(ctx context.Context) error {
	removed, err := Cleanup(ctx, l.cli, l.opts.RunID, false)
	l.log.Info("containers removed", "run", l.opts.RunID, "removed", len(removed))
	if cerr := l.cli.Close(); err == nil {
		err = cerr
	}
	return err
}

// managedImages lists the references of the images carrying logcap's
// label.
func managedImages(ctx context.Context, cli *client.Client) ([]string, error) {
	list, err := cli.ImageList(ctx, image.ListOptions{Filters: managed("")})
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var refs []string
	for _, im := range list {
		if len(im.RepoTags) > 0 {
			refs = append(refs, im.RepoTags[0])
		} else {
			refs = append(refs, im.ID)
		}
	}
	return refs, nil
}

// newImages returns what is in after and not in before, sorted.
func newImages(before, after []string) []string {
	var fresh []string
	for _, ref := range after {
		if !slices.Contains(before, ref) {
			fresh = append(fresh, ref)
		}
	}
	slices.Sort(fresh)
	return fresh
}
