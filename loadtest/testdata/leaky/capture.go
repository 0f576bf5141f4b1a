package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
)

// capturer discovers containers by polling, and runs one follower per
// container through a pool of stream slots.
type capturer struct {
	cli     *client.Client
	cfg     config
	log     *slog.Logger
	metrics *metrics
	sink    *sink

	// slots is the pool: a send takes a slot, a receive gives it back.
	// Blocked senders are served in arrival order.
	slots   chan struct{}
	waiting atomic.Int64

	mu        sync.Mutex
	followers map[string]bool
	cursors   map[string]*cursor // kept after a follower ends, for a restart

	// wg counts the followers; close waits for them. The goroutines
	// planted by the leaks are not counted: no one waits for them.
	wg sync.WaitGroup
}

func newCapturer(ctx context.Context, cfg config, log *slog.Logger) (*capturer, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	if _, err := cli.Ping(ctx); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("docker engine not reachable at %s: %w", cli.DaemonHost(), err)
	}
	s, err := openSink(cfg.output)
	if err != nil {
		_ = cli.Close()
		return nil, err
	}

	m := newMetrics()
	m.capacity.Set(float64(cfg.maxStreams))
	return &capturer{
		cli: cli, cfg: cfg, log: log, metrics: m, sink: s,
		slots:     make(chan struct{}, cfg.maxStreams),
		followers: map[string]bool{},
		cursors:   map[string]*cursor{},
	}, nil
}

// discover lists the labelled running containers every second and starts
// a follower for each new one, until ctx ends.
func (c *capturer) discover(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		c.reconcile(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (c *capturer) reconcile(ctx context.Context) {
	f := filters.NewArgs(filters.Arg("status", "running"))
	for _, l := range c.cfg.labels {
		f.Add("label", l)
	}
	list, err := c.cli.ContainerList(ctx, container.ListOptions{Filters: f})
	if ctx.Err() != nil {
		return
	}
	c.metrics.setHealthy("discovery", err == nil)
	if err != nil {
		c.log.Warn("list containers", "err", err)
		return
	}
	for _, ct := range list {
		name := ct.ID[:12]
		if len(ct.Names) > 0 {
			name = strings.TrimPrefix(ct.Names[0], "/")
		}
		c.startFollower(ctx, ct.ID, name)
	}
}

// startFollower starts the follower of id unless one runs. The follower is
// owned by c.wg and ends with ctx or with its container.
func (c *capturer) startFollower(ctx context.Context, id, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.followers[id] {
		return
	}
	cur := c.cursors[id]
	if cur == nil {
		cur = newCursor()
		c.cursors[id] = cur
	}
	c.followers[id] = true
	c.metrics.followed.Inc()

	f := &follower{c: c, id: id, name: name, cur: cur}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer c.forget(id)
		f.follow(ctx)
	}()
}

func (c *capturer) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.followers, id)
	c.metrics.followed.Dec()
}

// acquire takes a pool slot, waiting in line; false when ctx ended first.
func (c *capturer) acquire(ctx context.Context) bool {
	c.waiting.Add(1)
	c.metrics.waiting.Inc()
	defer func() {
		c.waiting.Add(-1)
		c.metrics.waiting.Dec()
	}()
	select {
	case c.slots <- struct{}{}:
		c.metrics.active.Inc()
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *capturer) release() {
	<-c.slots
	c.metrics.active.Dec()
}

// close waits for the followers and closes the client. Leaked goroutines
// and connections stay until the process exits.
func (c *capturer) close() {
	c.wg.Wait()
	_ = c.cli.Close()
}
