package capturer

import (
	"fmt"
	"time"
)

// ringSize is how many delivered messages a cursor remembers to recognise
// the repeats a reopened stream sends.
const ringSize = 1024

// lookback is how far before the newest delivered timestamp a stream
// reopens. Docker's stdout and stderr copiers can log a line a little out of
// timestamp order; reopening exactly at the newest timestamp would skip such
// a line. A line logged more than lookback out of order, right at a reopen,
// is still skipped.
const lookback = time.Second

// mark identifies one delivered message: its Docker timestamp and a hash of
// its stream and content.
type mark struct {
	ns int64
	h  uint64
}

// cursor says where a container's capture stands: the Since of the next
// reopen, and which messages after it were already delivered.
//
// Cursors live in memory only: a restarted capturer reads the logs of the
// running containers again from their start, because nothing persists
// where each one stood. On engine 20.10 every reopen also makes the daemon
// read the container's log file from its start to find Since, so a reopen
// costs the daemon time in proportion to the log kept on disk.
type cursor struct {
	ring    [ringSize]mark
	next    int   // where the next mark goes
	n       int   // marks held
	newest  int64 // newest timestamp delivered
	evicted int64 // newest timestamp of a mark that left the ring

	replay      map[mark]int // repeats still expected after a reopen
	replayUntil int64        // beyond this timestamp nothing repeats
}

// delivered records the messages of a line the sink has taken.
func (c *cursor) delivered(marks []mark) {
	for _, mk := range marks {
		if mk.ns == 0 {
			continue
		}
		if c.n == ringSize {
			c.evicted = max(c.evicted, c.ring[c.next].ns)
		} else {
			c.n++
		}
		c.ring[c.next] = mk
		c.next = (c.next + 1) % ringSize
		c.newest = max(c.newest, mk.ns)
	}
}

// since returns the Since of the next reopen in Unix nanoseconds, 0 for the
// whole log. oldestPending is the first piece of a line cut off by the
// reopen, or 0.
//
// It never goes back past a message the cursor has forgotten (it keeps
// the last ringSize), since those would repeat. So when one stream sends
// more than ringSize messages while a long line on the other is still
// unfinished, a reopen loses that line's first pieces: repeating or
// losing is the trade-off, and this side loses.
func (c *cursor) since(oldestPending int64) int64 {
	if c.newest == 0 {
		return oldestPending
	}
	s := c.newest - int64(lookback)
	if oldestPending != 0 && oldestPending < s {
		s = oldestPending
	}
	return max(s, c.evicted+1)
}

// reopen arms the cursor to drop the repeats of the stream about to open.
func (c *cursor) reopen() {
	c.replay = nil
	if c.n == 0 {
		return
	}
	c.replay = make(map[mark]int, c.n)
	for i := range c.n {
		c.replay[c.ring[i]]++
	}
	c.replayUntil = c.newest + int64(lookback)
}

// repeat says whether m was delivered before the last reopen, and if so
// consumes it.
func (c *cursor) repeat(mk mark) bool {
	if c.replay == nil || mk.ns == 0 {
		return false
	}
	if mk.ns > c.replayUntil {
		c.replay = nil
		return false
	}
	left := c.replay[mk]
	if left == 0 {
		return false
	}
	if left == 1 {
		delete(c.replay, mk)
	} else {
		c.replay[mk] = left - 1
	}
	if len(c.replay) == 0 {
		c.replay = nil
	}
	return true
}

// sinceParam formats Unix nanoseconds as the API's Since ("" for all).
func sinceParam(ns int64) string {
	if ns <= 0 {
		return ""
	}
	return fmt.Sprintf("%d.%09d", ns/1e9, ns%1e9)
}
