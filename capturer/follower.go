package capturer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/docker/docker/api/types/container"
)

// deps are what every follower shares.
type deps struct {
	eng      Engine
	pool     *pool
	sink     *sink
	met      *metrics
	log      *slog.Logger
	rotate   time.Duration
	maxLine  int
	backBase time.Duration
	backCap  time.Duration
}

// endReason says why a follower gave up its container.
type endReason int

const (
	endStopped  endReason = iota // the container stopped: keep its cursor
	endRemoved                   // the container is gone: free everything
	endShutdown                  // the capturer is stopping
)

var endNames = map[endReason]string{
	endStopped: "stopped", endRemoved: "removed", endShutdown: "shutdown",
}

// streamResult says how one open log stream ended.
type streamResult int

const (
	streamRotated  streamResult = iota // the rotation deadline passed
	streamEnded                        // the daemon ended the stream
	streamFailed                       // an error; reopen after a backoff
	streamGone                         // the container no longer exists
	streamShutdown                     // the capturer is stopping
)

// follower keeps one container's logs flowing into the sink across
// rotations, restarts and broken connections. It lives as long as the
// container is known, and runs in at most one goroutine at a time.
type follower struct {
	d        *deps
	id, name string
	cur      cursor
	join     *joiner
	back     *backoff
	tty      bool
	known    bool // tty was read from an inspect
	rec      record
}

func newFollower(d *deps, id, name string) *follower {
	return &follower{
		d:    d,
		id:   id,
		name: name,
		join: newJoiner(d.maxLine),
		back: newBackoff(d.backBase, d.backCap),
		rec:  record{id: id, name: name},
	}
}

// follow captures the container until it stops, is removed, or ctx ends.
// It holds a pool slot while it streams or waits to reopen. waits ends when
// discovery says the container was removed; it cuts short any wait, never a
// stream that may still hold the container's last lines.
func (f *follower) follow(ctx, waits context.Context) endReason {
	if err := f.d.pool.acquire(waits); err != nil {
		return why(ctx)
	}
	for {
		res := f.stream(ctx)
		next, done := f.after(ctx, res)
		if done {
			f.d.pool.release()
			return next
		}
		if res == streamRotated {
			if err := f.d.pool.yield(waits); err != nil {
				return why(ctx)
			}
			continue
		}
		if err := f.back.wait(waits); err != nil {
			f.d.pool.release()
			return why(ctx)
		}
	}
}

// after decides what follows a stream's end: the reason to stop, or to go
// on (done false).
func (f *follower) after(ctx context.Context, res streamResult) (endReason, bool) {
	switch res {
	case streamShutdown:
		return endShutdown, true
	case streamGone:
		return endRemoved, true
	case streamRotated:
		f.d.met.rotations.Inc()
		f.back.reset()
		return 0, false
	case streamEnded:
		return f.ended(ctx)
	}
	return 0, false
}

// ended checks on a container whose stream the daemon closed.
func (f *follower) ended(ctx context.Context) (endReason, bool) {
	info, err := f.d.eng.ContainerInspect(ctx, f.id)
	switch {
	case ctx.Err() != nil:
		return endShutdown, true
	case isNotFound(err):
		return endRemoved, true
	case err != nil:
		f.d.met.streamErrors.WithLabelValues(reasonInspect).Inc()
		f.d.log.Warn("inspect container", "container", f.name, "err", err)
		return 0, false
	case info.State == nil || !info.State.Running:
		return endStopped, true
	}
	f.d.met.streamErrors.WithLabelValues(reasonEnded).Inc()
	return 0, false
}

// why names the end when a wait was cut short.
func why(ctx context.Context) endReason {
	if ctx.Err() != nil {
		return endShutdown
	}
	return endRemoved
}

// stream opens one log request, reads it until the rotation deadline, the
// end of the stream, or shutdown, and closes it. Cancelling the request's
// context is what stops a blocked read: no other goroutine is involved.
// Engine 20.10's json-file driver scans a container's log from its start to
// honour Since, so each reopen costs the daemon time in proportion to the
// log kept on disk.
func (f *follower) stream(ctx context.Context) streamResult {
	if res, ok := f.inspectOnce(ctx); !ok {
		return res
	}
	since := f.cur.since(f.join.oldestPending())
	f.join.reset()
	f.cur.reopen()

	rctx, cancel := context.WithTimeout(ctx, f.rotation())
	defer cancel()
	body, err := f.d.eng.ContainerLogs(rctx, f.id, container.LogsOptions{
		ShowStdout: true, ShowStderr: true, Follow: true, Timestamps: true,
		Since: sinceParam(since),
	})
	if err != nil {
		return f.openFailed(ctx, err)
	}
	defer body.Close()

	f.d.met.open.Inc()
	defer f.d.met.open.Dec()
	err = f.read(ctx, body)
	return f.classify(ctx, rctx, err)
}

// inspectOnce learns whether the container has a TTY, once per follower.
func (f *follower) inspectOnce(ctx context.Context) (streamResult, bool) {
	if f.known {
		return 0, true
	}
	info, err := f.d.eng.ContainerInspect(ctx, f.id)
	switch {
	case ctx.Err() != nil:
		return streamShutdown, false
	case isNotFound(err):
		return streamGone, false
	case err != nil:
		f.d.met.streamErrors.WithLabelValues(reasonInspect).Inc()
		f.d.log.Warn("inspect container", "container", f.name, "err", err)
		return streamFailed, false
	}
	f.tty = info.Config != nil && info.Config.Tty
	f.known = true
	return 0, true
}

func (f *follower) openFailed(ctx context.Context, err error) streamResult {
	switch {
	case ctx.Err() != nil:
		return streamShutdown
	case isNotFound(err):
		return streamGone
	}
	f.d.met.streamErrors.WithLabelValues(reasonOpen).Inc()
	f.d.log.Warn("open log stream", "container", f.name, "err", err)
	return streamFailed
}

// classify names how a read ended; the contexts say more than the error.
func (f *follower) classify(ctx, rctx context.Context, err error) streamResult {
	switch {
	case ctx.Err() != nil:
		return streamShutdown
	case rctx.Err() != nil:
		return streamRotated
	case errors.Is(err, io.EOF):
		return streamEnded
	case errors.Is(err, errSystemFrame), errors.Is(err, errBadFrame):
		f.d.met.streamErrors.WithLabelValues(reasonFrame).Inc()
	case errors.Is(err, errSinkClosed):
		f.d.met.streamErrors.WithLabelValues(reasonSink).Inc()
	default:
		f.d.met.streamErrors.WithLabelValues(reasonRead).Inc()
	}
	f.d.log.Warn("log stream broke", "container", f.name, "err", err)
	return streamFailed
}

// read turns messages into lines and hands them to the sink, dropping the
// repeats that follow a reopen.
func (f *follower) read(ctx context.Context, body io.Reader) error {
	mr := newMessageReader(body, f.tty)
	for {
		m, err := mr.next()
		if err != nil {
			return err
		}
		mk := markOf(m)
		if f.cur.repeat(mk) {
			f.d.met.duplicates.Inc()
			continue
		}
		ln, ok := f.join.add(m, mk)
		if !ok {
			continue
		}
		if err := f.deliver(ctx, ln); err != nil {
			return err
		}
	}
}

// deliver writes one line to the sink, then moves the cursor past it.
func (f *follower) deliver(ctx context.Context, ln line) error {
	f.rec.ts, f.rec.stream, f.rec.text, f.rec.truncated = ln.ts, ln.stream, ln.text, ln.truncated
	if err := f.d.sink.write(ctx, &f.rec); err != nil {
		return fmt.Errorf("write line: %w", err)
	}
	f.cur.delivered(ln.marks)
	f.back.reset()
	// Bytes count what the sink's buffer accepted, not what reached the
	// output yet; lines_total counts lines written.
	f.d.met.bytes.Add(float64(len(ln.text)))
	if ln.truncated {
		f.d.met.truncated.Inc()
	}
	return nil
}

// rotation returns this stream's deadline: --rotate-every less up to 10%,
// so that streams opened together do not all rotate in the same instant.
func (f *follower) rotation() time.Duration {
	return f.d.rotate - time.Duration(rand.Float64()*0.1*float64(f.d.rotate))
}
