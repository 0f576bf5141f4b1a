package capturer

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Stream numbers as Docker puts them in the first byte of a frame header.
const (
	streamStdout = 1
	streamStderr = 2
	streamSystem = 3
)

// pieceBytes is the size at which Docker cuts a long line into several
// messages (the 16 KiB buffer of its log copier).
const pieceBytes = 16 * 1024

// maxFrameBytes bounds one frame's payload; Docker's are about 16 KiB.
const maxFrameBytes = 1 << 20

// errSystemFrame marks an error the daemon reported inside the stream.
var errSystemFrame = errors.New("daemon error in log stream")

// message is one Docker log message: a whole line, or one piece of a long
// line when partial is set. Its slices are valid until the next call to
// next.
type message struct {
	stream  byte
	ts      []byte // Docker's RFC 3339 timestamp, as sent
	ns      int64  // the same timestamp in Unix nanoseconds; 0 if it did not parse
	body    []byte // the text, without the trailing newline
	partial bool   // no newline yet: more pieces of this line follow
}

// messageReader yields the messages of one open log stream.
type messageReader interface {
	next() (message, error)
}

// newMessageReader reads Docker frames, or raw bytes for a TTY container.
func newMessageReader(r io.Reader, tty bool) messageReader {
	br := bufio.NewReaderSize(r, 8*1024)
	if tty {
		return &rawReader{br: br}
	}
	return &frameReader{br: br}
}

// frameReader demultiplexes Docker's 8-byte-header frames.
type frameReader struct {
	br     *bufio.Reader
	hdr    [8]byte
	buf    []byte
	rest   []byte // unread part of the current frame
	stream byte
}

func (f *frameReader) next() (message, error) {
	for len(f.rest) == 0 {
		if err := f.readFrame(); err != nil {
			return message{}, err
		}
	}
	seg := f.rest
	partial := true
	if i := bytes.IndexByte(seg, '\n'); i >= 0 {
		seg, f.rest, partial = seg[:i], seg[i+1:], false
	} else {
		f.rest = nil
	}
	m := parseTimestamp(seg)
	m.stream, m.partial = f.stream, partial
	return m, nil
}

// readFrame loads the next frame's payload into rest.
func (f *frameReader) readFrame() error {
	if _, err := io.ReadFull(f.br, f.hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("read frame header: %w", err)
		}
		return err
	}
	size := binary.BigEndian.Uint32(f.hdr[4:])
	if size > maxFrameBytes {
		return fmt.Errorf("frame of %d bytes: %w", size, errBadFrame)
	}
	if cap(f.buf) < int(size) {
		f.buf = make([]byte, size)
	}
	f.buf = f.buf[:size]
	if _, err := io.ReadFull(f.br, f.buf); err != nil {
		return fmt.Errorf("read frame payload: %w", noEOF(err))
	}
	f.stream = f.hdr[0]
	switch f.stream {
	case streamStdout, streamStderr:
		f.rest = f.buf
		return nil
	case streamSystem:
		return fmt.Errorf("%w: %s", errSystemFrame, bytes.TrimSpace(f.buf))
	}
	return fmt.Errorf("stream byte %d: %w", f.stream, errBadFrame)
}

// errBadFrame marks a frame header that cannot be Docker's.
var errBadFrame = errors.New("unrecognized frame header")

// noEOF turns a clean EOF in the middle of a frame into an unexpected one.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// rawReader reads a TTY container's stream: no frames, every message
// "<timestamp> <text>\n", except that a piece of a long line has no newline
// and the next message's timestamp follows it directly. Pieces are found
// by Docker's piece size, so this depends on the daemon cutting at 16 KiB.
type rawReader struct {
	br  *bufio.Reader
	buf []byte
}

func (r *rawReader) next() (message, error) {
	head, err := r.br.ReadSlice(' ')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		r.buf = append(r.buf[:0], head...)
		return r.body(0, 0)
	case err != nil && len(head) > 0:
		return message{}, noEOF(err)
	case err != nil:
		return message{}, err
	}
	ts := head[:len(head)-1]
	if ns, ok := parseNano(ts); ok {
		r.buf = append(r.buf[:0], ts...)
		return r.body(len(ts), ns)
	}
	// Not a timestamp: keep the bytes as text rather than stall.
	r.buf = append(r.buf[:0], head...)
	return r.body(0, 0)
}

// body reads the text after a timestamp: up to a newline, or one whole
// piece of a long line. A newline right after a full piece ends the line.
func (r *rawReader) body(tsLen int, ns int64) (message, error) {
	for len(r.buf)-tsLen < pieceBytes {
		if _, err := r.br.Peek(1); err != nil {
			return message{}, noEOF(err)
		}
		want := min(r.br.Buffered(), pieceBytes-(len(r.buf)-tsLen))
		b, _ := r.br.Peek(want)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			r.buf = append(r.buf, b[:i]...)
			r.br.Discard(i + 1)
			return r.done(tsLen, ns, false), nil
		}
		r.buf = append(r.buf, b...)
		r.br.Discard(len(b))
	}
	if b, err := r.br.Peek(1); err == nil && b[0] == '\n' {
		r.br.Discard(1)
		return r.done(tsLen, ns, false), nil
	}
	return r.done(tsLen, ns, true), nil
}

// done builds the message from buf; a TTY's CR before the newline is dropped.
func (r *rawReader) done(tsLen int, ns int64, partial bool) message {
	text := r.buf[tsLen:]
	if !partial {
		text = bytes.TrimSuffix(text, []byte{'\r'})
	}
	return message{stream: streamStdout, ts: r.buf[:tsLen], ns: ns, body: text, partial: partial}
}

// parseTimestamp splits "<timestamp> <text>" into a message.
func parseTimestamp(seg []byte) message {
	i := bytes.IndexByte(seg, ' ')
	if i < 0 {
		return message{body: seg}
	}
	ns, ok := parseNano(seg[:i])
	if !ok {
		return message{body: seg}
	}
	return message{ts: seg[:i], ns: ns, body: seg[i+1:]}
}

// parseNano parses Docker's RFC 3339 timestamp into Unix nanoseconds.
func parseNano(ts []byte) (int64, bool) {
	if len(ts) < 20 || len(ts) > 40 || ts[4] != '-' || ts[10] != 'T' {
		return 0, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return 0, false
	}
	return t.UnixNano(), true
}
