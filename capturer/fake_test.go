package capturer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/errdefs"
)

// fakeEngine is an in-memory Docker engine: containers with a log, a
// running flag, and event subscribers. A log stream blocks in Read until
// data comes, the container stops, or the request's context ends, as the
// real transport does; it starts no goroutine.
type fakeEngine struct {
	mu         sync.Mutex
	containers map[string]*fakeContainer
	subs       []*fakeSub
	history    []events.Message // every event published, for Since
	clock      int64            // Unix nanoseconds of the last log entry
	opens      int              // ContainerLogs calls
	openErr    error            // returned by the next ContainerLogs
	listErr    error            // returned by ContainerList while set
	open       map[*fakeStream]bool
}

type fakeContainer struct {
	id, name string
	labels   map[string]string
	tty      bool
	running  bool
	log      []fakeEntry
	changed  chan struct{} // closed when log or state changes
}

type fakeEntry struct {
	ns     int64
	stream byte
	text   string // with its trailing newline unless a piece
}

// fakeSub is one events subscription. Like the real client's, it has a
// goroutine that ends with its context and then closes errs.
type fakeSub struct {
	ctx    context.Context
	msgs   chan events.Message
	errs   chan error
	broken chan error
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{
		containers: map[string]*fakeContainer{},
		clock:      time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC).UnixNano(),
		open:       map[*fakeStream]bool{},
	}
}

// add creates a running container and publishes its start.
func (e *fakeEngine) add(id, name string, labels map[string]string, tty bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.containers[id] = &fakeContainer{
		id: id, name: name, labels: labels, tty: tty, running: true,
		changed: make(chan struct{}),
	}
	e.publish(events.ActionStart, id, name, labels)
}

// write appends one log entry per text, each 1µs after the last.
func (e *fakeEngine) write(id string, stream byte, texts ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.containers[id]
	for _, t := range texts {
		e.clock += 1000
		c.log = append(c.log, fakeEntry{ns: e.clock, stream: stream, text: t})
	}
	c.notify()
}

// writeAt appends an entry with a given timestamp offset from the last.
func (e *fakeEngine) writeAt(id string, stream byte, deltaNS int64, text string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.containers[id]
	c.log = append(c.log, fakeEntry{ns: e.clock + deltaNS, stream: stream, text: text})
	c.notify()
}

func (e *fakeEngine) setRunning(id string, running bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.containers[id]
	c.running = running
	c.notify()
	if running {
		e.publish(events.ActionStart, id, c.name, c.labels)
	}
}

func (e *fakeEngine) remove(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.containers[id]
	delete(e.containers, id)
	c.running = false
	c.notify()
	e.publish(events.ActionDestroy, id, c.name, c.labels)
}

// breakEvents ends every event subscription with err.
func (e *fakeEngine) breakEvents(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.subs {
		s.broken <- err
	}
	e.subs = nil
}

// breakStreams makes every open log stream fail its next read, as a
// connection to the daemon that breaks does.
func (e *fakeEngine) breakStreams() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for s := range e.open {
		s.broken = true
	}
	for _, c := range e.containers {
		c.notify()
	}
}

func (e *fakeEngine) streamsOpen() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.open)
}

func (c *fakeContainer) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// publish sends an event to live subscribers; called with mu held.
func (e *fakeEngine) publish(action events.Action, id, name string, labels map[string]string) {
	attrs := map[string]string{"name": name}
	for k, v := range labels {
		attrs[k] = v
	}
	e.clock += 1000
	m := events.Message{
		Type: events.ContainerEventType, Action: action, TimeNano: e.clock,
		Actor: events.Actor{ID: id, Attributes: attrs},
	}
	e.history = append(e.history, m)
	live := e.subs[:0]
	for _, s := range e.subs {
		if s.ctx.Err() == nil {
			s.msgs <- m
			live = append(live, s)
		}
	}
	e.subs = live
}

func (e *fakeEngine) ContainerList(
	_ context.Context, _ container.ListOptions,
) ([]container.Summary, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.listErr != nil {
		return nil, e.listErr
	}
	var out []container.Summary
	for _, c := range e.containers {
		state := container.StateExited
		if c.running {
			state = container.StateRunning
		}
		out = append(out, container.Summary{
			ID: c.id, Names: []string{"/" + c.name}, Labels: c.labels, State: state,
		})
	}
	return out, nil
}

func (e *fakeEngine) ContainerInspect(
	_ context.Context, id string,
) (container.InspectResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.containers[id]
	if !ok {
		return container.InspectResponse{}, errdefs.NotFound(fmt.Errorf("no such container: %s", id))
	}
	return container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{
			ID: id, Name: "/" + c.name, State: &container.State{Running: c.running},
		},
		Config: &container.Config{Tty: c.tty, Labels: c.labels},
	}, nil
}

func (e *fakeEngine) ContainerLogs(
	ctx context.Context, id string, opts container.LogsOptions,
) (io.ReadCloser, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.opens++
	if err := e.openErr; err != nil {
		e.openErr = nil
		return nil, err
	}
	c, ok := e.containers[id]
	if !ok {
		return nil, errdefs.NotFound(fmt.Errorf("no such container: %s", id))
	}
	since, err := parseSince(opts.Since)
	if err != nil {
		return nil, err
	}
	s := &fakeStream{e: e, c: c, ctx: ctx, since: since, follow: opts.Follow && c.running}
	e.open[s] = true
	return s, nil
}

func (e *fakeEngine) Events(
	ctx context.Context, opts events.ListOptions,
) (<-chan events.Message, <-chan error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := &fakeSub{
		ctx: ctx, msgs: make(chan events.Message, 1000+len(e.history)),
		errs: make(chan error, 1), broken: make(chan error, 1),
	}
	if opts.Since != "" {
		since, err := parseSince(opts.Since)
		if err != nil {
			s.errs <- err
			close(s.errs)
			return s.msgs, s.errs
		}
		for _, m := range e.history {
			if m.TimeNano >= since {
				s.msgs <- m
			}
		}
	}
	e.subs = append(e.subs, s)
	go func() {
		defer close(s.errs)
		select {
		case err := <-s.broken:
			s.errs <- err
		case <-ctx.Done():
			s.errs <- ctx.Err()
		}
	}()
	return s.msgs, s.errs
}

func parseSince(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	var sec, nsec int64
	if _, err := fmt.Sscanf(s, "%d.%d", &sec, &nsec); err != nil {
		return 0, fmt.Errorf("since %q: %w", s, err)
	}
	return sec*1e9 + nsec, nil
}

// fakeStream is one open log request.
type fakeStream struct {
	e      *fakeEngine
	c      *fakeContainer
	ctx    context.Context
	since  int64
	follow bool
	next   int    // index of the next entry
	out    []byte // encoded, not yet read
	closed bool
	broken bool // the next read fails
}

func (s *fakeStream) Read(p []byte) (int, error) {
	for len(s.out) == 0 {
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// fill encodes the next entries, or waits for some.
func (s *fakeStream) fill() error {
	s.e.mu.Lock()
	if s.closed {
		s.e.mu.Unlock()
		return errors.New("read on closed body")
	}
	if s.broken {
		s.e.mu.Unlock()
		return errors.New("read unix @->/var/run/docker.sock: connection reset by peer")
	}
	for ; s.next < len(s.c.log); s.next++ {
		if en := s.c.log[s.next]; en.ns >= s.since {
			s.out = s.encode(s.out, en)
		}
	}
	changed, running := s.c.changed, s.c.running
	s.e.mu.Unlock()
	if len(s.out) > 0 {
		return nil
	}
	if !s.follow || !running {
		return io.EOF
	}
	select {
	case <-changed:
		return nil
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

func (s *fakeStream) encode(b []byte, en fakeEntry) []byte {
	payload := time.Unix(0, en.ns).UTC().Format("2006-01-02T15:04:05.000000000Z07:00") + " " + en.text
	if s.c.tty {
		return append(b, payload...)
	}
	var hdr [8]byte
	hdr[0] = en.stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(payload)))
	b = append(b, hdr[:]...)
	return append(b, payload...)
}

func (s *fakeStream) Close() error {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	s.closed = true
	delete(s.e.open, s)
	return nil
}
