package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
)

// errStopped ends a pump whose reader moved on.
var errStopped = errors.New("pump stopped")

// pump copies a log response body into two pipes: each Docker frame's
// payload (one log message) as one Write to stdout's or stderr's pipe, or,
// for a TTY container, the raw bytes to stdout's.
type pump struct {
	body io.Reader
	out  *io.PipeWriter
	err  *io.PipeWriter
	tty  bool
	stop atomic.Bool

	// order gets "stdout" or "stderr" before each Write to that pipe, and
	// is closed when the body ends. It never holds more than two names,
	// so the pump never blocks on it.
	order chan string
	// failed is the error that ended the body, nil at a clean end. It is
	// set before order is closed.
	failed error
}

func newPump(body io.Reader, out, err *io.PipeWriter, tty bool) *pump {
	return &pump{body: body, out: out, err: err, tty: tty, order: make(chan string, 8)}
}

// run copies until the body ends, then closes both pipes with its error
// (nil gives the readers io.EOF). When stop is set it returns at the next
// message without closing the pipes: that is what strands the readers of
// PLANTED LEAK (a).
func (p *pump) run() {
	var err error
	if p.tty {
		err = p.raw()
	} else {
		err = p.frames()
	}
	if errors.Is(err, errStopped) {
		return
	}
	p.failed = err
	close(p.order)
	_ = p.out.CloseWithError(err)
	_ = p.err.CloseWithError(err)
}

func (p *pump) raw() error {
	buf := make([]byte, 32<<10)
	for {
		n, err := p.body.Read(buf)
		if p.stop.Load() {
			return errStopped
		}
		if n > 0 {
			p.order <- "stdout"
			if _, werr := p.out.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (p *pump) frames() error {
	br := bufio.NewReaderSize(p.body, 32<<10)
	var hdr [8]byte
	var payload []byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("read frame header: %w", err)
		}
		size := int(binary.BigEndian.Uint32(hdr[4:]))
		if cap(payload) < size {
			payload = make([]byte, size)
		}
		payload = payload[:size]
		if _, err := io.ReadFull(br, payload); err != nil {
			return fmt.Errorf("read frame: %w", err)
		}
		if p.stop.Load() {
			return errStopped
		}

		w, kind := p.out, "stdout"
		switch hdr[0] {
		case 1:
		case 2:
			w, kind = p.err, "stderr"
		default:
			return fmt.Errorf("frame of stream %d: %q", hdr[0], payload)
		}
		p.order <- kind
		if _, err := w.Write(payload); err != nil {
			return err
		}
	}
}
