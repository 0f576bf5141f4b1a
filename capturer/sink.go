package capturer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// errSinkClosed is returned to a writer still waiting when the sink closes.
var errSinkClosed = errors.New("sink closed")

// record is one captured line on its way to the sink.
type record struct {
	ts        []byte
	id, name  string
	stream    byte
	text      []byte
	truncated bool
}

// sinkLimit bounds the buffer writers append to. The flusher holds at
// most one more buffer's worth it could not write yet, so a sink that
// cannot write holds about two of these, never more.
const sinkLimit = 1 << 20

// sinkWarnEvery spaces the warnings of a sink that keeps failing.
const sinkWarnEvery = 30 * time.Second

// sink writes records as JSON lines. Writers append to a buffer; one
// flusher goroutine writes it out on an interval, or sooner when it fills.
// When the output cannot take more, writers wait until a write succeeds:
// back-pressure, never a silent drop and never an unbounded buffer.
type sink struct {
	out       io.Writer
	limit     int
	interval  time.Duration
	warnEvery time.Duration
	health    *health
	log       *slog.Logger
	lines     prometheus.Counter // lines the output took; nil counts nothing
	failures  prometheus.Counter // writes the output refused; nil counts nothing

	mu      sync.Mutex
	buf     []byte
	room    chan struct{} // closed when writers may try again
	closed  bool
	failing bool // the last write failed: writers wait for one to succeed

	kick     chan struct{} // asks the flusher to flush now
	lastWarn time.Time     // owned by the flusher
	stop     chan struct{}
	done     chan struct{}
	err      error // the flusher's last error, set before done closes
}

func newSink(out io.Writer, interval time.Duration, h *health, log *slog.Logger) *sink {
	h.set(componentSink, true, "writing")
	return &sink{
		out:       out,
		limit:     sinkLimit,
		interval:  interval,
		warnEvery: sinkWarnEvery,
		health:    h,
		log:       log,
		room:      make(chan struct{}),
		kick:      make(chan struct{}, 1),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
}

// write appends rec to the buffer. It waits while the buffer is full or
// the output is failing, until ctx ends or the sink closes.
func (s *sink) write(ctx context.Context, rec *record) error {
	s.mu.Lock()
	for (s.failing || len(s.buf) >= s.limit) && !s.closed {
		room, failing := s.room, s.failing
		s.mu.Unlock()
		if !failing {
			select {
			case s.kick <- struct{}{}:
			default:
			}
		}
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	if s.closed {
		return errSinkClosed
	}
	s.buf = appendRecord(s.buf, rec)
	return nil
}

// run is the flusher. The capturer starts it, and close stops it and waits.
func (s *sink) run() {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	var pending []byte
	for {
		select {
		case <-t.C:
		case <-s.kick:
		case <-s.stop:
			s.err = s.drain(pending)
			return
		}
		pending = s.flush(pending)
	}
}

// flush writes what is pending, taking the buffer when nothing is; it
// returns what could not be written yet.
func (s *sink) flush(pending []byte) []byte {
	if len(pending) == 0 {
		pending = s.take(pending)
	}
	if len(pending) == 0 {
		return pending
	}
	n, err := s.out.Write(pending)
	s.countLines(pending[:n])
	pending = pending[:copy(pending, pending[n:])]
	if err != nil {
		s.failed(err, len(pending))
		return pending
	}
	s.recovered()
	return pending
}

// countLines counts the records in what the output took: each ends in
// the only newline it holds, since JSON escapes those inside a line.
func (s *sink) countLines(written []byte) {
	if s.lines != nil && len(written) > 0 {
		s.lines.Add(float64(bytes.Count(written, []byte{'\n'})))
	}
}

// failed marks the sink unhealthy, holds writers back and warns, at most
// once per warnEvery, with the bytes waiting now.
func (s *sink) failed(err error, pending int) {
	s.health.set(componentSink, false, fmt.Sprintf("write: %v", err))
	if s.failures != nil {
		s.failures.Inc()
	}
	s.mu.Lock()
	s.failing = true
	waiting := pending + len(s.buf)
	s.mu.Unlock()
	if now := time.Now(); now.Sub(s.lastWarn) >= s.warnEvery {
		s.lastWarn = now
		s.log.Warn("sink cannot write; capture waits", "err", err, "pending_bytes", waiting)
	}
}

// recovered marks the sink healthy and lets waiting writers in.
func (s *sink) recovered() {
	s.mu.Lock()
	was := s.failing
	s.failing = false
	if was {
		s.wake()
	}
	s.mu.Unlock()
	if was {
		s.lastWarn = time.Time{}
		s.log.Info("sink writes again")
	}
	s.health.set(componentSink, true, "writing")
}

// wake lets waiting writers try again. The caller holds mu.
func (s *sink) wake() {
	close(s.room)
	s.room = make(chan struct{})
}

// take swaps the buffer for an empty one and lets waiting writers in.
func (s *sink) take(spare []byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	full := s.buf
	s.buf = spare[:0]
	s.wake()
	return full
}

// drain writes everything left at shutdown, trying a few times. Writers
// still waiting get errSinkClosed.
func (s *sink) drain(pending []byte) error {
	s.mu.Lock()
	s.closed = true
	s.wake()
	s.mu.Unlock()
	for try := 0; try < 3; try++ {
		pending = s.flush(pending)
		if len(pending) == 0 {
			pending = s.flush(pending)
		}
		s.mu.Lock()
		left := len(pending) + len(s.buf)
		s.mu.Unlock()
		if left == 0 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("sink: %d bytes could not be written at shutdown", len(pending)+len(s.buf))
}

// close flushes what is buffered, stops the flusher and waits for it.
func (s *sink) close() error {
	close(s.stop)
	<-s.done
	return s.err
}

// OpenOutput opens the sink's file for appending, or stdout for "-".
func OpenOutput(path string) (io.WriteCloser, error) {
	if path == "-" {
		return nopCloser{os.Stdout}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open output: %w", err)
	}
	return f, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// appendRecord encodes rec as one JSON line, fields in the contract's order.
func appendRecord(b []byte, r *record) []byte {
	b = append(b, `{"time":"`...)
	b = append(b, r.ts...)
	b = append(b, `","container_id":`...)
	b = appendString(b, r.id)
	b = append(b, `,"container_name":`...)
	b = appendString(b, r.name)
	if r.stream == streamStderr {
		b = append(b, `,"stream":"stderr","line":`...)
	} else {
		b = append(b, `,"stream":"stdout","line":`...)
	}
	b = appendJSONBytes(b, r.text)
	if r.truncated {
		b = append(b, `,"truncated":true`...)
	}
	return append(b, "}\n"...)
}

func appendString(b []byte, s string) []byte {
	return appendJSONBytes(b, []byte(s))
}

const hexDigits = "0123456789abcdef"

// appendJSONBytes appends text as a JSON string. Control bytes are escaped;
// bytes that are not UTF-8 become U+FFFD, as encoding/json does, so the
// original bytes of such a line cannot be recovered from the sink.
func appendJSONBytes(b, text []byte) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(text); {
		c := text[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, text[start:i]...)
			b = appendEscape(b, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, text[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, text[start:]...)
	return append(b, '"')
}

func appendEscape(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}
