package loadtest

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// maxChurnFailures is how many operations in a row may fail before Churn
// gives up: by then the engine is gone, not one container.
const maxChurnFailures = 5

// ChurnOptions says which run to keep alive and how hard to churn it.
type ChurnOptions struct {
	// Spawn describes the run: Spawn.RunID (required) and Spawn.Count, the
	// number of containers kept running, and how replacements start.
	Spawn SpawnOptions

	PerMinute    float64       // operations per minute, > 0
	Duration     time.Duration // 0 churns until ctx ends
	RestartShare float64       // share of operations that restart in place, 0..1
	Seed         uint64        // picks which container each operation hits
	Logger       *slog.Logger  // nil discards
}

// ChurnStats counts what Churn did.
type ChurnStats struct {
	Replaced  int `json:"replaced"`  // stopped, removed and replaced by a new container
	Restarted int `json:"restarted"` // restarted in place, same id
	Started   int `json:"started"`   // started to bring the run back to Count
	Failed    int `json:"failed"`    // operations that failed and were skipped
}

// Churn keeps opts.Spawn.Count containers of the run alive for
// opts.Duration (or until ctx ends): opts.PerMinute times a minute it
// picks a running container and either restarts it in place (a share of
// opts.RestartShare) or starts a replacement and then stops and removes
// it, so the count never drops below Count. Before each operation it
// starts containers for any that are missing.
//
// Churn runs in its caller's goroutine and starts none that outlive it;
// it returns nil when the time is up or ctx ends, and an error for bad
// input or when maxChurnFailures operations fail in a row. The rate is
// a ceiling: an operation that takes longer than its interval delays the
// next. A container restarted in place numbers its lines from 1 again,
// after the final line that counted the ones before.
func Churn(ctx context.Context, cli *client.Client, opts ChurnOptions) (ChurnStats, error) {
	ch, err := newChurner(ctx, cli, opts)
	if err != nil {
		return ChurnStats{}, err
	}
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}

	tick := time.NewTicker(time.Duration(float64(time.Minute) / opts.PerMinute))
	defer tick.Stop()
	for fails := 0; ; {
		select {
		case <-ctx.Done():
			return ch.stats, nil
		case <-tick.C:
		}
		if err := ch.stepDetached(ctx); err != nil {
			ch.stats.Failed++
			fails++
			ch.log.Warn("churn operation failed", "run", opts.Spawn.RunID, "err", err)
			if fails >= maxChurnFailures {
				return ch.stats, fmt.Errorf("churn: %d operations failed in a row: %w", fails, err)
			}
			continue
		}
		fails = 0
	}
}

// churner holds the state of one Churn call.
type churner struct {
	sp    *spawner
	opts  ChurnOptions
	rng   *rand.Rand
	log   *slog.Logger
	ops   int64
	next  int // index of the next replacement
	stats ChurnStats
}

func newChurner(ctx context.Context, cli *client.Client, opts ChurnOptions) (*churner, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if err := opts.Spawn.normalize(); err != nil {
		return nil, err
	}
	sp, err := newSpawner(ctx, cli, opts.Spawn)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	return &churner{sp: sp, opts: opts, rng: rng, log: log, next: 1}, nil
}

// Validate reports the first invalid option, without the engine.
func (o ChurnOptions) Validate() error {
	if err := o.check(); err != nil {
		return err
	}
	return o.Spawn.Validate()
}

func (o ChurnOptions) check() error {
	switch {
	case o.Spawn.RunID == "":
		return fmt.Errorf("%w: churn needs the run id of the containers", ErrSpawnInput)
	case o.Spawn.Count < 1:
		return fmt.Errorf("%w: containers %d, want at least 1", ErrSpawnInput, o.Spawn.Count)
	case !(o.PerMinute > 0):
		return fmt.Errorf("%w: churn rate %v per minute must be above 0", ErrSpawnInput,
			o.PerMinute)
	case o.Duration < 0:
		return fmt.Errorf("%w: churn duration %v below 0", ErrSpawnInput, o.Duration)
	case !(o.RestartShare >= 0 && o.RestartShare <= 1):
		return fmt.Errorf("%w: restart share %v not in 0..1", ErrSpawnInput, o.RestartShare)
	}
	return nil
}

// stepDetached runs one step to its end even if ctx ends meanwhile, so
// that a replacement never stays without its victim removed.
func (c *churner) stepDetached(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*opTimeout)
	defer cancel()
	return c.step(ctx)
}

// step tops the run up to Count, then restarts or replaces one container.
func (c *churner) step(ctx context.Context) error {
	running, err := c.reconcile(ctx)
	if err != nil {
		return err
	}
	if len(running) == 0 {
		return nil
	}
	victim := running[c.rng.IntN(len(running))]

	c.ops++
	if onStderr(c.ops, c.opts.RestartShare) { // the same even spread as stderr lines
		return c.restart(ctx, victim)
	}
	return c.replace(ctx, victim)
}

// reconcile lists the run, starts what is missing, and returns the
// running containers.
func (c *churner) reconcile(ctx context.Context) ([]Container, error) {
	all, err := List(ctx, c.sp.cli, c.sp.opts.RunID)
	if err != nil {
		return nil, err
	}
	var running []Container
	for _, ct := range all {
		c.next = max(c.next, containerIndex(c.sp.opts.RunID, ct.Name)+1)
		if ct.State == "running" {
			running = append(running, ct)
		}
	}

	missing := c.sp.opts.Count - len(running)
	if missing <= 0 {
		return running, nil
	}
	started, err := c.startNew(ctx, missing)
	c.stats.Started += len(started)
	return append(running, started...), err
}

// startNew starts n containers with fresh indexes.
func (c *churner) startNew(ctx context.Context, n int) ([]Container, error) {
	indexes := make([]int, n)
	for i := range indexes {
		indexes[i] = c.next
		c.next++
	}
	started, created, failed := c.sp.startAll(ctx, indexes)
	if len(failed) == 0 {
		return started, nil
	}
	// Created but not started: remove it, or it lingers until cleanup.
	for _, id := range created {
		if !slices.ContainsFunc(started, func(ct Container) bool { return ct.ID == id }) {
			_, _ = removeOwn(ctx, c.sp.cli, c.sp.opts.RunID, []string{id})
		}
	}
	return started, &SpawnError{Failed: failed, Total: n}
}

func (c *churner) restart(ctx context.Context, victim Container) error {
	timeout := int(stopTimeout.Seconds())
	err := c.sp.cli.ContainerRestart(ctx, victim.ID, container.StopOptions{Timeout: &timeout})
	if err != nil {
		return fmt.Errorf("restart %s: %w", victim.Name, err)
	}
	c.stats.Restarted++
	return nil
}

// replace starts the replacement first, so the count never drops.
func (c *churner) replace(ctx context.Context, victim Container) error {
	if _, err := c.startNew(ctx, 1); err != nil {
		return fmt.Errorf("replace %s: %w", victim.Name, err)
	}
	if err := removeContainer(ctx, c.sp.cli, victim.ID); err != nil {
		return fmt.Errorf("replace %s: %w", victim.Name, err)
	}
	c.stats.Replaced++
	return nil
}
