package capturer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"
)

// harness runs followers against a fake engine into an in-memory sink.
type harness struct {
	t    *testing.T
	eng  *fakeEngine
	d    *deps
	out  *flakyWriter
	sink *sink
}

func newHarness(t *testing.T, rotate time.Duration, capacity int) *harness {
	t.Helper()
	eng := newFakeEngine()
	out := &flakyWriter{}
	h := newHealth()
	log := slog.New(slog.DiscardHandler)
	p := newPool(capacity)
	s := newSink(out, time.Millisecond, h, log)
	met := newMetrics(p, h)
	met.countSink(s)
	go s.run()
	d := &deps{
		eng: eng, pool: p, sink: s, met: met, log: log, rotate: rotate,
		maxLine: 1 << 20, backBase: time.Millisecond, backCap: 10 * time.Millisecond,
	}
	return &harness{t: t, eng: eng, d: d, out: out, sink: s}
}

// start runs a follower in a goroutine and returns where its end arrives.
func (h *harness) start(ctx context.Context, f *follower) <-chan endReason {
	done := make(chan endReason, 1)
	go func() { done <- f.follow(ctx, ctx) }()
	return done
}

// records closes the sink and returns what it wrote.
func (h *harness) records() []sinkLine {
	h.t.Helper()
	if err := h.sink.close(); err != nil {
		h.t.Fatalf("close sink: %v", err)
	}
	return parseSink(h.t, h.out.String())
}

type sinkLine struct {
	Time      string `json:"time"`
	ID        string `json:"container_id"`
	Name      string `json:"container_name"`
	Stream    string `json:"stream"`
	Line      string `json:"line"`
	Truncated bool   `json:"truncated"`
}

func parseSink(t *testing.T, s string) []sinkLine {
	t.Helper()
	var out []sinkLine
	dec := json.NewDecoder(strings.NewReader(s))
	for dec.More() {
		var l sinkLine
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("sink is not JSON lines: %v", err)
		}
		out = append(out, l)
	}
	return out
}

// wantSeq checks that lines are "<prefix><n>" for n = 1..count, once each,
// in order.
func wantSeq(t *testing.T, lines []sinkLine, prefix string, count int) {
	t.Helper()
	n := 0
	for _, l := range lines {
		if !strings.HasPrefix(l.Line, prefix) {
			continue
		}
		n++
		if want := fmt.Sprintf("%s%d", prefix, n); l.Line != want {
			t.Fatalf("line %d = %q, want %q (lost, repeated or out of order)", n, l.Line, want)
		}
	}
	if n != count {
		t.Errorf("got %d lines %q..., want %d", n, prefix, count)
	}
}

// TestFollowerHundredRotations runs one follower through 100 rotations
// while lines keep coming, and checks that every line arrives once, in
// order, and that the goroutine count is back where it started.
func TestFollowerHundredRotations(t *testing.T) {
	before := runtime.NumGoroutine()
	h := newHarness(t, 5*time.Millisecond, 1)
	h.eng.add("c1", "web-1", nil, false)
	f := newFollower(h.d, "c1", "web-1")
	done := h.start(context.Background(), f)

	n := 0
	for metricValue(t, h.d.met, "logcap_rotations_total") < 100 {
		n++
		stream := byte(streamStdout)
		if n%3 == 0 {
			stream = streamStderr
		}
		h.eng.write("c1", stream, fmt.Sprintf("web-1 seq=%d\n", n))
		time.Sleep(100 * time.Microsecond)
	}
	h.eng.setRunning("c1", false)
	if end := <-done; end != endStopped {
		t.Fatalf("follower ended with %d, want endStopped", end)
	}
	wantSeq(t, h.records(), "web-1 seq=", n)
	if open := h.eng.streamsOpen(); open != 0 {
		t.Errorf("%d log streams left open, want 0", open)
	}
	if h.d.pool.held() != 0 {
		t.Errorf("slot still held after the container stopped")
	}
	waitFor(t, func() bool { return runtime.NumGoroutine() <= before })
}

// TestFollowerStopStart stops a container and starts it again: the second
// follow resumes from the cursor with no replay.
func TestFollowerStopStart(t *testing.T) {
	h := newHarness(t, time.Hour, 1)
	h.eng.add("c1", "job", nil, false)
	f := newFollower(h.d, "c1", "job")
	ctx := context.Background()

	h.eng.write("c1", streamStdout, "job seq=1\n", "job seq=2\n")
	done := h.start(ctx, f)
	waitFor(t, func() bool { return metricValue(t, h.d.met, "logcap_lines_total") == 2 })
	h.eng.setRunning("c1", false)
	if end := <-done; end != endStopped {
		t.Fatalf("first follow ended with %d, want endStopped", end)
	}

	h.eng.write("c1", streamStdout, "job seq=3\n")
	h.eng.setRunning("c1", true)
	done = h.start(ctx, f)
	waitFor(t, func() bool { return metricValue(t, h.d.met, "logcap_lines_total") == 3 })
	h.eng.setRunning("c1", false)
	<-done
	wantSeq(t, h.records(), "job seq=", 3)
	if dups := metricValue(t, h.d.met, "logcap_boundary_duplicates_dropped_total"); dups != 2 {
		t.Errorf("duplicates dropped = %v, want 2 (the lines before the stop)", dups)
	}
}

// TestFollowerShortLived captures a container that printed and exited
// before its follower opened the stream.
func TestFollowerShortLived(t *testing.T) {
	h := newHarness(t, time.Hour, 1)
	h.eng.add("c1", "short", nil, false)
	h.eng.write("c1", streamStdout, "short seq=1\n", "short seq=2\n")
	h.eng.setRunning("c1", false)
	end := <-h.start(context.Background(), newFollower(h.d, "c1", "short"))
	if end != endStopped {
		t.Fatalf("ended with %d, want endStopped", end)
	}
	wantSeq(t, h.records(), "short seq=", 2)
}

func TestFollowerRemoved(t *testing.T) {
	h := newHarness(t, time.Hour, 1)
	h.eng.add("c1", "gone", nil, false)
	h.eng.write("c1", streamStdout, "gone seq=1\n")
	done := h.start(context.Background(), newFollower(h.d, "c1", "gone"))
	waitFor(t, func() bool { return metricValue(t, h.d.met, "logcap_lines_total") == 1 })
	h.eng.remove("c1")
	if end := <-done; end != endRemoved {
		t.Fatalf("ended with %d, want endRemoved", end)
	}
	wantSeq(t, h.records(), "gone seq=", 1)
	if h.d.pool.held() != 0 {
		t.Error("slot still held after removal")
	}
}

// TestFollowerReopenBacksOff fails an open: the follower counts it and
// retries after a backoff instead of giving up.
func TestFollowerReopenBacksOff(t *testing.T) {
	h := newHarness(t, time.Hour, 1)
	h.eng.add("c1", "flaky", nil, false)
	h.eng.openErr = errors.New("connection reset")
	h.eng.write("c1", streamStdout, "flaky seq=1\n")
	done := h.start(context.Background(), newFollower(h.d, "c1", "flaky"))
	waitFor(t, func() bool { return metricValue(t, h.d.met, "logcap_lines_total") == 1 })
	h.eng.setRunning("c1", false)
	<-done
	if got := metricValue(t, h.d.met, "logcap_stream_errors_total", "reason", reasonOpen); got != 1 {
		t.Errorf("open errors = %v, want 1", got)
	}
	wantSeq(t, h.records(), "flaky seq=", 1)
}

// TestFollowerBrokenConnection breaks the stream mid-run: the follower
// counts a read error, reopens after a backoff from its cursor, and no line
// is lost or repeated.
func TestFollowerBrokenConnection(t *testing.T) {
	h := newHarness(t, time.Hour, 1)
	h.eng.add("c1", "net", nil, false)
	done := h.start(context.Background(), newFollower(h.d, "c1", "net"))
	h.eng.write("c1", streamStdout, "net seq=1\n", "net seq=2\n")
	waitFor(t, func() bool { return metricValue(t, h.d.met, "logcap_lines_total") == 2 })
	h.eng.breakStreams()
	h.eng.write("c1", streamStderr, "net seq=3\n")
	waitFor(t, func() bool { return metricValue(t, h.d.met, "logcap_lines_total") == 3 })
	h.eng.setRunning("c1", false)
	<-done
	wantSeq(t, h.records(), "net seq=", 3)
	if got := metricValue(t, h.d.met, "logcap_stream_errors_total", "reason", reasonRead); got != 1 {
		t.Errorf("read errors = %v, want 1", got)
	}
	if h.eng.opens < 2 {
		t.Errorf("%d opens, want a reopen after the break", h.eng.opens)
	}
}

// TestFollowerLines runs the line cases of FAILURES.md through a follower.
func TestFollowerLines(t *testing.T) {
	piece := strings.Repeat("x", pieceBytes)
	tests := []struct {
		name      string
		tty       bool
		maxLine   int
		write     []string
		want      []string
		truncated int
	}{
		{
			name:  "40,000-byte line",
			write: []string{piece, piece, strings.Repeat("x", 40000-2*pieceBytes) + "\n", "next\n"},
			want:  []string{strings.Repeat("x", 40000), "next"},
		},
		{
			name:    "70,000 bytes cut at the cap, then a normal line",
			maxLine: 65536,
			write: []string{piece, piece, piece, piece,
				strings.Repeat("x", 70000-4*pieceBytes) + "\n", "normal\n"},
			want:      []string{strings.Repeat("x", 65536), "normal"},
			truncated: 1,
		},
		{
			name:  "TTY lines and a long TTY line",
			tty:   true,
			write: []string{"hello\r\n", piece, "tail\r\n"},
			want:  []string{"hello", piece + "tail"},
		},
		{
			name:  "NUL, invalid UTF-8, CR",
			write: []string{"a\x00b\n", "bad\xff\n", "cr\rcr\n", "after\n"},
			want:  []string{"a\x00b", "bad\ufffd", "cr\rcr", "after"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, time.Hour, 1)
			if tt.maxLine > 0 {
				h.d.maxLine = tt.maxLine
			}
			h.eng.add("c1", "lines", nil, tt.tty)
			h.eng.write("c1", streamStdout, tt.write...)
			h.eng.setRunning("c1", false)
			<-h.start(context.Background(), newFollower(h.d, "c1", "lines"))
			got := h.records()
			if len(got) != len(tt.want) {
				t.Fatalf("got %d lines, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				if got[i].Line != w {
					t.Errorf("line %d: %d bytes %q..., want %d bytes", i, len(got[i].Line),
						got[i].Line[:min(20, len(got[i].Line))], len(w))
				}
			}
			if n := metricValue(t, h.d.met, "logcap_lines_truncated_total"); int(n) != tt.truncated {
				t.Errorf("truncated = %v, want %d", n, tt.truncated)
			}
		})
	}
}

// TestFollowerOutOfOrderAcrossRotation writes a stderr line whose timestamp
// is a little older than the stdout line before it, right at a rotation:
// the lookback still finds it, and nothing repeats.
func TestFollowerOutOfOrderAcrossRotation(t *testing.T) {
	h := newHarness(t, 20*time.Millisecond, 1)
	h.eng.add("c1", "ooo", nil, false)
	done := h.start(context.Background(), newFollower(h.d, "c1", "ooo"))
	h.eng.write("c1", streamStdout, "ooo seq=1\n")
	waitFor(t, func() bool { return metricValue(t, h.d.met, "logcap_lines_total") == 1 })
	rot := metricValue(t, h.d.met, "logcap_rotations_total")
	waitFor(t, func() bool { return metricValue(t, h.d.met, "logcap_rotations_total") > rot })
	h.eng.writeAt("c1", streamStderr, -500, "ooo seq=2\n")
	h.eng.write("c1", streamStdout, "ooo seq=3\n")
	waitFor(t, func() bool { return metricValue(t, h.d.met, "logcap_lines_total") == 3 })
	h.eng.setRunning("c1", false)
	<-done
	wantSeq(t, h.records(), "ooo seq=", 3)
}

func TestFollowerShutdown(t *testing.T) {
	h := newHarness(t, time.Hour, 1)
	h.eng.add("c1", "run", nil, false)
	ctx, cancel := context.WithCancel(context.Background())
	done := h.start(ctx, newFollower(h.d, "c1", "run"))
	waitFor(t, func() bool { return h.eng.streamsOpen() == 1 })
	cancel()
	if end := <-done; end != endShutdown {
		t.Fatalf("ended with %d, want endShutdown", end)
	}
	h.records()
	if h.eng.streamsOpen() != 0 || h.d.pool.held() != 0 {
		t.Errorf("after shutdown: %d streams open, %d slots held; want 0, 0",
			h.eng.streamsOpen(), h.d.pool.held())
	}
}

// TestFollowerPendingLineAcrossFailedOpen breaks the stream while the first
// piece of a long stdout line waits for its end and stderr has moved more
// than the lookback past it, then fails the next open: the reopen after
// that must still start at the piece, or the line loses its head.
func TestFollowerPendingLineAcrossFailedOpen(t *testing.T) {
	h := newHarness(t, time.Hour, 1)
	h.eng.add("c1", "pend", nil, false)
	done := h.start(context.Background(), newFollower(h.d, "c1", "pend"))
	h.eng.write("c1", streamStdout, "head-")
	h.eng.writeAt("c1", streamStderr, int64(2*time.Second), "err\n")
	waitFor(t, func() bool { return metricValue(t, h.d.met, "logcap_lines_total") == 1 })
	h.eng.mu.Lock()
	h.eng.openErr = errors.New("connection refused")
	h.eng.mu.Unlock()
	h.eng.breakStreams()
	waitFor(t, func() bool {
		return metricValue(t, h.d.met, "logcap_stream_errors_total", "reason", reasonOpen) == 1
	})
	h.eng.writeAt("c1", streamStdout, int64(3*time.Second), "tail\n")
	waitFor(t, func() bool { return metricValue(t, h.d.met, "logcap_lines_total") == 2 })
	h.eng.setRunning("c1", false)
	<-done
	got := h.records()
	if len(got) != 2 || got[1].Line != "head-tail" {
		t.Fatalf("got %+v, want the lines err and head-tail", got)
	}
}
