package loadtest

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// LiveState is what the live line shows.
type LiveState struct {
	// Phase is "warm-up" before the baseline, "checkpoint" after it, or
	// any short word for a step ("spawning", "settling").
	Phase string
	// Checkpoint counts checkpoints taken, from 1; Total is how many the
	// run will take.
	Checkpoint, Total int
	Elapsed           time.Duration
	Remaining         time.Duration
	// Goroutines is the last scraped count; HaveGoroutines says whether
	// there is one.
	Goroutines     float64
	HaveGoroutines bool
	// Growth is goroutine growth per minute since the baseline; HaveGrowth
	// says whether two checkpoints allow one.
	Growth     float64
	HaveGrowth bool
}

// Live shows soak progress on a writer (stderr). On a terminal one line is
// redrawn in place at every Update; elsewhere one plain line is written
// per new checkpoint, so a CI log stays short.
//
// Live is safe for concurrent use: log lines from other goroutines go
// through Writer, which lifts the live line off the screen around them.
type Live struct {
	mu   sync.Mutex
	w    io.Writer
	tty  bool
	last int    // checkpoint of the last plain line
	line string // the live line on screen, "" when none
}

// NewLive returns a Live writing to w; tty says whether w is a terminal.
func NewLive(w io.Writer, tty bool) *Live {
	return &Live{w: w, tty: tty}
}

// Update shows s.
func (l *Live) Update(s LiveState) {
	if l == nil || l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tty {
		l.line = s.line()
		fmt.Fprintf(l.w, "\r\033[K%s", l.line)
		return
	}
	if s.Phase == "checkpoint" && s.Checkpoint != l.last {
		l.last = s.Checkpoint
		fmt.Fprintln(l.w, s.line())
	}
}

// Done ends the live line, so what follows starts on a line of its own.
func (l *Live) Done() {
	if l == nil || l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.line != "" {
		fmt.Fprintln(l.w)
		l.line = ""
	}
}

// Clear takes the live line off the screen, for a step that leaves
// nothing worth keeping.
func (l *Live) Clear() {
	if l == nil || l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.line != "" {
		fmt.Fprint(l.w, "\r\033[K")
		l.line = ""
	}
}

// Writer returns a writer for log lines that share the live line's
// terminal: each write clears the live line, writes, and redraws it.
func (l *Live) Writer() io.Writer { return liveWriter{l} }

type liveWriter struct{ l *Live }

func (lw liveWriter) Write(p []byte) (int, error) {
	l := lw.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.line == "" {
		return l.w.Write(p)
	}
	if _, err := io.WriteString(l.w, "\r\033[K"); err != nil {
		return 0, err
	}
	n, err := l.w.Write(p)
	if err == nil {
		_, err = io.WriteString(l.w, l.line)
	}
	return n, err
}

func (s LiveState) line() string {
	var b strings.Builder
	if s.Phase == "checkpoint" {
		fmt.Fprintf(&b, "checkpoint %d/%d", s.Checkpoint, s.Total)
	} else {
		b.WriteString(s.Phase)
	}
	fmt.Fprintf(&b, "  elapsed %s  remaining %s", roundDur(s.Elapsed), roundDur(s.Remaining))
	if s.HaveGoroutines {
		fmt.Fprintf(&b, "  goroutines %.0f", s.Goroutines)
	}
	if s.HaveGrowth {
		fmt.Fprintf(&b, "  growth %.2f/min", s.Growth)
	}
	return b.String()
}

// roundDur rounds to the second, or to the millisecond below a second.
func roundDur(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}
