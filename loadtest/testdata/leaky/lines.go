package main

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cursor is where a container's capture stands: the Docker timestamp of
// the last message delivered, the messages delivered at that timestamp
// (a reopen from it sends them again), and the pieces of lines not yet
// ended.
type cursor struct {
	ts      time.Time
	seen    map[string]bool
	partial map[string]*partialLine
	raw     []byte // TTY bytes after the last newline
}

// partialLine is a long line Docker split into several messages.
type partialLine struct {
	ts   time.Time
	line []byte
	cut  bool
}

func newCursor() *cursor {
	return &cursor{seen: map[string]bool{}, partial: map[string]*partialLine{}}
}

// since is the ContainerLogs Since of a reopen: the cursor itself, with
// nanoseconds, or everything when nothing was delivered yet.
func (c *cursor) since() string {
	if c.ts.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.ts.Unix(), 10) + "." + fmt.Sprintf("%09d", c.ts.Nanosecond())
}

// admit tells whether a message is new, and moves the cursor to it. Only
// a message at the cursor's own timestamp can repeat: a reopen asks for
// messages from that timestamp on.
func (c *cursor) admit(ts time.Time, key string) bool {
	switch {
	case ts.Before(c.ts):
		return true
	case ts.Equal(c.ts):
		if c.seen[key] {
			return false
		}
		c.seen[key] = true
	default:
		c.ts = ts
		c.seen = map[string]bool{key: true}
	}
	return true
}

// deliver takes one chunk of a pipe: a whole Docker message, or raw TTY
// bytes.
func (f *follower) deliver(kind string, data []byte) {
	if !f.tty {
		f.message(kind, data)
		return
	}
	f.cur.raw = append(f.cur.raw, data...)
	for {
		i := bytes.IndexByte(f.cur.raw, '\n')
		if i < 0 {
			return
		}
		f.message(kind, f.cur.raw[:i+1])
		f.cur.raw = f.cur.raw[i+1:]
	}
}

// message handles "<timestamp> <text>", where text ends in a newline
// unless Docker split a long line there.
func (f *follower) message(kind string, msg []byte) {
	tsText, text, ok := strings.Cut(string(msg), " ")
	ts, err := time.Parse(time.RFC3339Nano, tsText)
	if !ok || err != nil {
		f.c.metrics.errors.WithLabelValues("read").Inc()
		return
	}
	if !f.cur.admit(ts, kind+"\x00"+text) {
		f.c.metrics.duplicates.Inc()
		return
	}

	p := f.cur.partial[kind]
	if p == nil {
		p = &partialLine{ts: ts}
		f.cur.partial[kind] = p
	}
	body, ended := strings.CutSuffix(text, "\n")
	if f.tty {
		body = strings.TrimSuffix(body, "\r") // a terminal ends lines with CR LF
	}
	if room := f.c.cfg.maxLineBytes - len(p.line); len(body) > room {
		body, p.cut = body[:max(room, 0)], true
	}
	p.line = append(p.line, body...)
	if !ended {
		return
	}
	delete(f.cur.partial, kind)
	f.emit(kind, p)
}

func (f *follower) emit(kind string, p *partialLine) {
	err := f.c.sink.write(p.ts, f.id, f.name, kind, string(p.line), p.cut)
	f.c.metrics.setHealthy("sink", err == nil)
	if err != nil {
		f.c.log.Error("sink", "err", err)
		return
	}
	f.c.metrics.lines.Inc()
	f.c.metrics.bytes.Add(float64(len(p.line)))
	if p.cut {
		f.c.metrics.truncated.Inc()
	}
}
