package capturer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
)

// Filter selects the containers to capture. Every label must match; a name
// must match Include (when set) and must not match Exclude (when set).
type Filter struct {
	Labels  map[string]string
	Include *regexp.Regexp
	Exclude *regexp.Regexp
}

// match applies the filter to a container's name and labels.
func (f Filter) match(name string, labels map[string]string) bool {
	for k, v := range f.Labels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	if f.Include != nil && !f.Include.MatchString(name) {
		return false
	}
	return f.Exclude == nil || !f.Exclude.MatchString(name)
}

// labelArgs are the label filters the engine applies on its side too.
func (f Filter) labelArgs() filters.Args {
	args := filters.NewArgs()
	for k, v := range f.Labels {
		args.Add("label", k+"="+v)
	}
	return args
}

// tracker is told which containers run and which are gone.
type tracker interface {
	started(id, name string)
	removed(id string)
	known() []string
}

// discovery lists containers, then follows the events API. After an events
// error it reports unhealthy, re-subscribes with backoff from the time of
// the last event it saw, and re-lists to reconcile.
type discovery struct {
	eng    Engine
	filter Filter
	track  tracker
	health *health
	log    *slog.Logger
	back   *backoff
	last   int64 // Unix nanoseconds of the last event seen
	now    func() time.Time
}

// run follows containers until ctx ends.
func (d *discovery) run(ctx context.Context) {
	d.health.set(componentDiscovery, false, "starting")
	for {
		err := d.session(ctx)
		if ctx.Err() != nil {
			return
		}
		d.health.set(componentDiscovery, false, err.Error())
		d.log.Warn("container discovery interrupted; retrying", "err", err)
		if sleep(ctx, d.back.next()) != nil {
			return
		}
	}
}

// session subscribes to events, reconciles with a list, then handles
// events until an error. The engine client reads events in a goroutine of
// its own that ends when the session's context does and then closes errs:
// the session waits for that before it returns.
// When no event came before an error, the next session asks for the events
// since this one subscribed, by the capturer's clock: a start missed in
// between must still arrive, and a clock behind the daemon's only replays
// more events, which are harmless.
func (d *discovery) session(ctx context.Context) error {
	subscribed := d.now().UnixNano()
	ctx, cancel := context.WithCancel(ctx)
	msgs, errs := d.eng.Events(ctx, d.eventOptions())
	defer func() {
		cancel()
		for range errs {
		}
		if d.last == 0 {
			d.last = subscribed
		}
	}()

	if err := d.reconcile(ctx); err != nil {
		return err
	}
	d.health.set(componentDiscovery, true, "following events")
	d.back.reset()
	for {
		select {
		case m := <-msgs:
			d.handle(m)
		case err, ok := <-errs:
			if !ok {
				return errors.New("events: stream ended")
			}
			return fmt.Errorf("events: %w", err)
		case <-ctx.Done():
			return nil
		}
	}
}

func (d *discovery) eventOptions() events.ListOptions {
	args := d.filter.labelArgs()
	args.Add("type", string(events.ContainerEventType))
	args.Add("event", string(events.ActionStart))
	args.Add("event", string(events.ActionDestroy))
	opts := events.ListOptions{Filters: args}
	if d.last > 0 {
		opts.Since = sinceParam(d.last)
	}
	return opts
}

// reconcile lists every matching container: running ones are followed,
// known ones that no longer exist are forgotten. A container that ran and
// exited while the capturer was down, or before it started, is not
// captured: only running containers get a follower here.
func (d *discovery) reconcile(ctx context.Context) error {
	list, err := d.eng.ContainerList(ctx, container.ListOptions{
		All: true, Filters: d.filter.labelArgs(),
	})
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	exists := make(map[string]bool, len(list))
	for _, c := range list {
		exists[c.ID] = true
		name := containerName(c.Names)
		if c.State == container.StateRunning && d.filter.match(name, c.Labels) {
			d.track.started(c.ID, name)
		}
	}
	for _, id := range d.track.known() {
		if !exists[id] {
			d.track.removed(id)
		}
	}
	return nil
}

// handle acts on one container event.
func (d *discovery) handle(m events.Message) {
	if m.TimeNano > d.last {
		d.last = m.TimeNano
	}
	name := m.Actor.Attributes["name"]
	switch m.Action {
	case events.ActionStart:
		if d.filter.match(name, m.Actor.Attributes) {
			d.track.started(m.Actor.ID, name)
		}
	case events.ActionDestroy:
		d.track.removed(m.Actor.ID)
	}
}

// containerName returns a container's first name without its slash.
func containerName(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return strings.TrimPrefix(names[0], "/")
}

func newDiscovery(eng Engine, f Filter, t tracker, h *health, log *slog.Logger) *discovery {
	return &discovery{
		eng: eng, filter: f, track: t, health: h, log: log,
		back: newBackoff(500*time.Millisecond, 30*time.Second),
		now:  time.Now,
	}
}
