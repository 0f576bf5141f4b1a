package capturer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAppendRecord(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		stream    byte
		truncated bool
		wantLine  string
	}{
		{"plain", "hello world", streamStdout, false, "hello world"},
		{"stderr", "oops", streamStderr, false, "oops"},
		{"quotes and backslashes", `say "hi" \o/`, streamStdout, false, `say "hi" \o/`},
		{"NUL, CR, tab, escape", "a\x00b\rc\td\x1b[0m", streamStdout, false, "a\x00b\rc\td\x1b[0m"},
		{"invalid UTF-8 becomes U+FFFD", "ok\xff\xfeok", streamStdout, false, "ok\ufffd\ufffdok"},
		{"valid multibyte", "héllo ✓ 😀", streamStdout, false, "héllo ✓ 😀"},
		{"cut line", "abc", streamStdout, true, "abc"},
		{"empty", "", streamStdout, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &record{ts: []byte(ts1), id: "abc123", name: "web-1", stream: tt.stream,
				text: []byte(tt.text), truncated: tt.truncated}
			b := appendRecord(nil, rec)
			if !bytes.HasSuffix(b, []byte("}\n")) || bytes.Count(b, []byte("\n")) != 1 {
				t.Fatalf("record %q is not one line", b)
			}
			var got struct {
				Time          string `json:"time"`
				ContainerID   string `json:"container_id"`
				ContainerName string `json:"container_name"`
				Stream        string `json:"stream"`
				Line          string `json:"line"`
				Truncated     *bool  `json:"truncated"`
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("record %q is not JSON: %v", b, err)
			}
			wantStream := map[byte]string{streamStdout: "stdout", streamStderr: "stderr"}[tt.stream]
			if got.Time != ts1 || got.ContainerID != "abc123" || got.ContainerName != "web-1" ||
				got.Stream != wantStream || got.Line != tt.wantLine {
				t.Errorf("decoded %+v, want line %q on %s", got, tt.wantLine, wantStream)
			}
			if tt.truncated != (got.Truncated != nil && *got.Truncated) {
				t.Errorf("truncated = %v, want %v", got.Truncated, tt.truncated)
			}
			if !tt.truncated && bytes.Contains(b, []byte("truncated")) {
				t.Errorf("record %q carries truncated though not cut", b)
			}
		})
	}
}

func TestAppendRecordFieldOrder(t *testing.T) {
	rec := &record{ts: []byte(ts1), id: "id", name: "n", stream: streamStdout, text: []byte("x")}
	want := `{"time":"` + ts1 + `","container_id":"id","container_name":"n",` +
		`"stream":"stdout","line":"x"}` + "\n"
	if got := string(appendRecord(nil, rec)); got != want {
		t.Errorf("record = %s, want %s", got, want)
	}
}

// flakyWriter fails while broken is set.
type flakyWriter struct {
	mu     sync.Mutex
	broken bool
	buf    bytes.Buffer
}

func (w *flakyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.broken {
		return 0, errors.New("disk full")
	}
	return w.buf.Write(p)
}

func (w *flakyWriter) set(broken bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.broken = broken
}

func (w *flakyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestSinkBackPressure breaks the output: health turns unhealthy, writers
// wait instead of dropping lines, and once the output works again every
// line arrives, in order.
func TestSinkBackPressure(t *testing.T) {
	w := &flakyWriter{broken: true}
	h := newHealth()
	s := newSink(w, 5*time.Millisecond, h, slog.New(slog.DiscardHandler))
	s.limit = 1024
	go s.run()

	const lines = 200
	wrote := make(chan int, 1)
	go func() {
		n := 0
		for i := range lines {
			rec := &record{ts: []byte(ts1), id: "id", name: "n", stream: streamStdout,
				text: fmt.Appendf(nil, "line %d", i)}
			if err := s.write(context.Background(), rec); err != nil {
				break
			}
			n++
		}
		wrote <- n
	}()

	waitFor(t, func() bool { st, _ := h.snapshot(); return !st[componentSink].Healthy })
	select {
	case n := <-wrote:
		t.Fatalf("all %d writes returned while the output was broken: no back-pressure", n)
	case <-time.After(50 * time.Millisecond):
	}
	w.set(false)
	if n := <-wrote; n != lines {
		t.Fatalf("wrote %d lines, want %d", n, lines)
	}
	if err := s.close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if st, _ := h.snapshot(); !st[componentSink].Healthy {
		t.Errorf("sink still unhealthy after the output recovered: %+v", st[componentSink])
	}
	got := strings.Split(strings.TrimSpace(w.String()), "\n")
	if len(got) != lines {
		t.Fatalf("output has %d lines, want %d", len(got), lines)
	}
	for i, l := range got {
		if want := fmt.Sprintf(`"line":"line %d"`, i); !strings.Contains(l, want) {
			t.Fatalf("output line %d = %s, want it to contain %s", i, l, want)
		}
	}
}

func TestSinkFlushesOnClose(t *testing.T) {
	w := &flakyWriter{}
	s := newSink(w, time.Hour, newHealth(), slog.New(slog.DiscardHandler))
	go s.run()
	rec := &record{ts: []byte(ts1), id: "id", name: "n", stream: streamStdout, text: []byte("last")}
	if err := s.write(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.String(), `"line":"last"`) {
		t.Errorf("output after close = %q, want the buffered line", w.String())
	}
	if err := s.write(context.Background(), rec); !errors.Is(err, errSinkClosed) {
		t.Errorf("write after close = %v, want errSinkClosed", err)
	}
}

func TestSinkCloseReportsUnwritten(t *testing.T) {
	w := &flakyWriter{broken: true}
	s := newSink(w, time.Hour, newHealth(), slog.New(slog.DiscardHandler))
	go s.run()
	rec := &record{ts: []byte(ts1), id: "id", name: "n", stream: streamStdout, text: []byte("x")}
	if err := s.write(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if err := s.close(); err == nil {
		t.Error("close with a broken output returned nil, want an error naming lost bytes")
	}
}

func BenchmarkAppendRecord(b *testing.B) {
	rec := &record{ts: []byte(ts1), id: strings.Repeat("a", 64), name: "logcap-r1-001",
		stream: streamStdout, text: []byte("logcap-r1-001 seq=12345 " + strings.Repeat("x", 76))}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendRecord(buf[:0], rec)
	}
}

func TestOpenOutputAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lines.jsonl")
	if err := os.WriteFile(path, []byte("earlier\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := OpenOutput(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("later\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "earlier\nlater\n" {
		t.Errorf("file = %q, want the earlier content kept", got)
	}
	if _, err := OpenOutput(filepath.Join(t.TempDir(), "no", "such", "dir", "x")); err == nil {
		t.Error("OpenOutput in a missing directory returned nil, want an error")
	}
}

// partialWriter, once broken, takes half of one write, in the middle of a
// line, and then nothing.
type partialWriter struct {
	flakyWriter
	cut bool
}

func (w *partialWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.broken {
		n := 0
		if !w.cut {
			n, _ = w.buf.Write(p[:len(p)/2])
			w.cut = true
		}
		return n, errors.New("disk full")
	}
	return w.buf.Write(p)
}

// TestSinkStuckOutput breaks the output while several readers write: they
// wait, the buffer stays bounded, logcap_lines_total stays flat and write
// failures are counted; once the output recovers every line is written
// exactly once and counted.
func TestSinkStuckOutput(t *testing.T) {
	tests := []struct {
		name string
		out  interface {
			io.Writer
			set(bool)
			String() string
		}
	}{
		{"refuses everything", &flakyWriter{}},
		{"takes part of each write", &partialWriter{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHealth()
			met := newMetrics(newPool(1), h)
			s := newSink(tt.out, 2*time.Millisecond, h, slog.New(slog.DiscardHandler))
			s.limit = 4096
			met.countSink(s)
			go s.run()
			tt.out.set(true)

			const readers, each = 4, 500
			var accepted atomic.Int64
			var wg sync.WaitGroup
			for r := range readers {
				wg.Go(func() {
					for i := range each {
						rec := &record{ts: []byte(ts1), id: "id", name: "n",
							stream: streamStdout, text: fmt.Appendf(nil, "r%d-%d", r, i)}
						if err := s.write(context.Background(), rec); err != nil {
							t.Errorf("write: %v", err)
							return
						}
						accepted.Add(1)
					}
				})
			}

			waitFor(t, func() bool { st, _ := h.snapshot(); return !st[componentSink].Healthy })
			time.Sleep(50 * time.Millisecond)
			lines0 := metricValue(t, met, "logcap_lines_total")
			acc0 := accepted.Load()
			time.Sleep(100 * time.Millisecond)
			if got := metricValue(t, met, "logcap_lines_total"); got != lines0 {
				t.Errorf("lines_total moved from %v to %v while the output failed", lines0, got)
			}
			if got := accepted.Load(); got != acc0 || got == readers*each {
				t.Errorf("readers went on: %d then %d writes accepted, want them waiting",
					acc0, got)
			}
			s.mu.Lock()
			held := len(s.buf)
			s.mu.Unlock()
			if held > s.limit+256 {
				t.Errorf("buffer holds %d bytes, want at most about %d", held, s.limit)
			}
			if got := metricValue(t, met, "logcap_stream_errors_total", "reason", "sink"); got < 1 {
				t.Errorf(`stream_errors_total{reason="sink"} = %v, want >= 1`, got)
			}

			tt.out.set(false)
			wg.Wait()
			if err := s.close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			checkExactlyOnce(t, tt.out.String(), readers, each)
			if got := metricValue(t, met, "logcap_lines_total"); got != readers*each {
				t.Errorf("lines_total = %v, want %d", got, readers*each)
			}
		})
	}
}

// checkExactlyOnce checks out holds every reader's lines once, in order.
func checkExactlyOnce(t *testing.T, out string, readers, each int) {
	t.Helper()
	next := make([]int, readers)
	for l := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		var rec struct{ Line string }
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		var r, i int
		if _, err := fmt.Sscanf(rec.Line, "r%d-%d", &r, &i); err != nil || r >= readers {
			t.Fatalf("output line %q is not one of ours", l)
		}
		if i != next[r] {
			t.Fatalf("reader %d: got line %d, want %d (lost or repeated)", r, i, next[r])
		}
		next[r]++
	}
	for r, n := range next {
		if n != each {
			t.Errorf("reader %d: %d lines written, want %d", r, n, each)
		}
	}
}
