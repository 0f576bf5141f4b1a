package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// lineLog records writes from both streams in order.
type lineLog struct {
	mu    sync.Mutex
	lines []streamLine
	onN   func(n int)
}

type streamLine struct {
	stream string
	text   string
}

type streamWriter struct {
	log    *lineLog
	stream string
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.log.mu.Lock()
	w.log.lines = append(w.log.lines, streamLine{w.stream, string(p)})
	n, hook := len(w.log.lines), w.log.onN
	w.log.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return len(p), nil
}

func (l *lineLog) writers() (streamWriter, streamWriter) {
	return streamWriter{l, "stdout"}, streamWriter{l, "stderr"}
}

func fastOpts() EmitOptions {
	return EmitOptions{Name: "c-001", Rate: 20000, LineBytes: 40, LongBytes: 40000}
}

func TestEmitSeqAcrossStreams(t *testing.T) {
	opts := fastOpts()
	opts.StderrShare = 0.25
	opts.Count = 200
	var log lineLog
	out, errw := log.writers()

	n, err := Emit(context.Background(), out, errw, opts)
	if err != nil || n != 200 {
		t.Fatalf("Emit = %d, %v; want 200, nil", n, err)
	}
	stderrLines := 0
	for i, l := range log.lines {
		want := "c-001 seq=" + strconv.Itoa(i+1) + " "
		if !strings.HasPrefix(l.text, want) {
			t.Fatalf("line %d = %q, want prefix %q", i+1, l.text, want)
		}
		if got := len(l.text); got != opts.LineBytes+1 {
			t.Errorf("line %d length = %d, want %d", i+1, got, opts.LineBytes+1)
		}
		if l.stream == "stderr" {
			stderrLines++
		}
	}
	if stderrLines != 50 {
		t.Errorf("stderr lines = %d, want 50", stderrLines)
	}
}

func TestEmitFinalLineOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := fastOpts()
	opts.StderrShare = 0.5
	log := lineLog{onN: func(n int) {
		if n == 7 {
			cancel()
		}
	}}
	out, errw := log.writers()

	n, err := Emit(ctx, out, errw, opts)
	if err != nil || n != 7 {
		t.Fatalf("Emit = %d, %v; want 7, nil", n, err)
	}
	last := log.lines[len(log.lines)-1]
	want := streamLine{"stdout", "c-001 final emitted=7\n"}
	if last != want {
		t.Errorf("last line = %+v, want %+v", last, want)
	}
	if got := len(log.lines); got != 8 {
		t.Errorf("lines written = %d, want 8", got)
	}
}

func TestEmitLongLines(t *testing.T) {
	opts := fastOpts()
	opts.LongEvery = 3
	opts.Count = 7
	var out bytes.Buffer

	if _, err := Emit(context.Background(), &out, &out, opts); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for i := 1; sc.Scan(); i++ {
		want := opts.LineBytes
		if i%3 == 0 {
			want = opts.LongBytes
		}
		if got := len(sc.Text()); got != want {
			t.Errorf("line %d length = %d, want %d", i, got, want)
		}
	}
}

func TestLineShortWidth(t *testing.T) {
	got := string(Line(EmitOptions{Name: "n", LineBytes: 0}, 12))
	if want := "n seq=12 x\n"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
}

func TestEmitOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*EmitOptions)
	}{
		{"no name", func(o *EmitOptions) { o.Name = "" }},
		{"name with space", func(o *EmitOptions) { o.Name = "a b" }},
		{"zero rate", func(o *EmitOptions) { o.Rate = 0 }},
		{"negative line bytes", func(o *EmitOptions) { o.LineBytes = -1 }},
		{"share above 1", func(o *EmitOptions) { o.StderrShare = 1.5 }},
		{"negative share", func(o *EmitOptions) { o.StderrShare = -0.1 }},
		{"negative long-every", func(o *EmitOptions) { o.LongEvery = -1 }},
		{"long line too short", func(o *EmitOptions) { o.LongEvery, o.LongBytes = 5, 16384 }},
		{"negative count", func(o *EmitOptions) { o.Count = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fastOpts()
			tt.edit(&opts)
			err := opts.Validate()
			if !errors.Is(err, ErrEmitOptions) {
				t.Errorf("Validate() = %v, want ErrEmitOptions", err)
			}
		})
	}
	if err := fastOpts().Validate(); err != nil {
		t.Errorf("Validate(valid) = %v, want nil", err)
	}
}
