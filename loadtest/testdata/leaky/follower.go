package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/api/types/container"
)

// follower keeps one container's log captured across rotations.
type follower struct {
	c    *capturer
	id   string
	name string
	tty  bool
	cur  *cursor
}

// follow holds a slot and opens stream after stream until the container
// stops or ctx ends. At a rotation it gives its slot back only when
// others wait.
func (f *follower) follow(ctx context.Context) {
	info, err := f.c.cli.ContainerInspect(ctx, f.id)
	if err != nil {
		return
	}
	f.tty = info.Config != nil && info.Config.Tty

	held := false
	defer func() {
		if held {
			f.c.release()
		}
	}()
	for ctx.Err() == nil {
		if !held {
			if !f.c.acquire(ctx) {
				return
			}
			held = true
		}
		rotated, err := f.stream(ctx)
		if rotated {
			f.c.metrics.rotations.Inc()
			if f.c.waiting.Load() > 0 {
				f.c.release()
				held = false
			}
			continue
		}
		if err != nil {
			f.c.metrics.errors.WithLabelValues("open").Inc()
			f.c.log.Warn("stream", "container", f.name, "err", err)
		}
		if !f.running(ctx) {
			return
		}
		sleep(ctx, time.Second)
	}
}

func (f *follower) running(ctx context.Context) bool {
	info, err := f.c.cli.ContainerInspect(ctx, f.id)
	return err == nil && info.State != nil && info.State.Running
}

// stream is one open ContainerLogs request.
type stream struct {
	body   io.ReadCloser
	cancel context.CancelFunc
}

// close ends the request the right way: cancel, then close the body.
func (s *stream) close() {
	s.cancel()
	_ = s.body.Close()
}

// stream opens one log request from the cursor and reads it until the
// rotation timer fires (rotated true), the container's log ends, or ctx
// ends.
func (f *follower) stream(ctx context.Context) (rotated bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	body, err := f.c.cli.ContainerLogs(sctx, f.id, container.LogsOptions{
		ShowStdout: true, ShowStderr: true, Follow: true, Timestamps: true,
		Since: f.cur.since(),
	})
	if err != nil {
		cancel()
		return false, fmt.Errorf("open log stream for %s: %w", f.name, err)
	}
	return f.read(ctx, &stream{body: body, cancel: cancel}), nil
}

// read pumps s into two pipes, one per output stream, and reads each
// pipe through a goroutine raced against the rotation timer. The pump's
// order channel says which pipe holds the next message, so messages are
// delivered in the order Docker sent them.
func (f *follower) read(ctx context.Context, s *stream) (rotated bool) {
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	p := newPump(s.body, outW, errW, f.tty)
	go p.run()

	pipes := map[string]*pipeReader{"stdout": newPipeReader(outR), "stderr": newPipeReader(errR)}
	pipes["stdout"].next()
	pipes["stderr"].next()
	timer := time.NewTimer(f.c.cfg.rotateEvery)
	defer timer.Stop()
	for {
		select {
		case kind, ok := <-p.order:
			if !ok {
				f.ended(p.failed)
				s.close()
				return false
			}
			select {
			case r := <-pipes[kind].ch:
				f.handle(kind, pipes[kind], r)
				continue
			case <-timer.C:
			case <-ctx.Done():
				s.close()
				return false
			}
		case <-timer.C:
		case <-ctx.Done():
			s.close()
			return false
		}

		p.stop.Store(true)
		s.body, s.cancel = nil, nil // PLANTED LEAK (b): body not closed, ctx not cancelled
		return true
	}
}

// ended counts an error that ended the body.
func (f *follower) ended(err error) {
	if err != nil {
		f.c.metrics.errors.WithLabelValues("read").Inc()
		f.c.log.Warn("log stream ended", "container", f.name, "err", err)
	}
}

// handle delivers a chunk read from a pipe and reads on.
func (f *follower) handle(kind string, p *pipeReader, r chunk) {
	if len(r.data) > 0 {
		f.deliver(kind, r.data)
	}
	if r.err == nil {
		p.next()
	}
}

// chunk is what one Read of a pipe returned.
type chunk struct {
	data []byte
	err  error
}

// pipeReader reads one pipe, one Read per goroutine. data of a chunk is
// valid until the next call of next.
type pipeReader struct {
	r   io.Reader
	buf []byte
	ch  chan chunk
}

func newPipeReader(r io.Reader) *pipeReader {
	return &pipeReader{r: r, buf: make([]byte, 64<<10), ch: make(chan chunk, 1)}
}

// next starts the read of the next chunk. The goroutine is abandoned when
// the rotation timer fires first; since no one closes the pipe's writer,
// it blocks in the Read forever.
func (p *pipeReader) next() {
	go func() { p.ch <- readChunk(p.r, p.buf) }() // PLANTED LEAK (a): abandoned at rotation
}

func readChunk(r io.Reader, buf []byte) chunk {
	n, err := r.Read(buf)
	return chunk{data: buf[:n], err: err}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
