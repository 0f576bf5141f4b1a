package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// LongLineMin is the length a long line must exceed: Docker splits any
// line longer than 16 KiB into several messages.
const LongLineMin = 16 * 1024

// EmitOptions says what the emitter writes and how fast.
type EmitOptions struct {
	Name        string  // container name at the start of every line
	Rate        float64 // lines per second, > 0
	LineBytes   int     // length of a normal line without its newline
	StderrShare float64 // share of lines written to stderr, 0..1
	LongEvery   int     // every LongEvery-th line is long; 0 for none
	LongBytes   int     // length of a long line, > LongLineMin
	Count       int64   // stop after Count lines; 0 runs until ctx ends
}

// ErrEmitOptions marks invalid emitter options.
var ErrEmitOptions = errors.New("invalid emitter options")

// Validate reports the first invalid option.
func (o EmitOptions) Validate() error {
	switch {
	case o.Name == "" || strings.ContainsAny(o.Name, " \n\r"):
		return fmt.Errorf("%w: name %q must be one non-empty word", ErrEmitOptions, o.Name)
	case !(o.Rate > 0):
		return fmt.Errorf("%w: rate %v must be above 0", ErrEmitOptions, o.Rate)
	case o.LineBytes < 0:
		return fmt.Errorf("%w: line bytes %d below 0", ErrEmitOptions, o.LineBytes)
	case !(o.StderrShare >= 0 && o.StderrShare <= 1):
		return fmt.Errorf("%w: stderr share %v not in 0..1", ErrEmitOptions, o.StderrShare)
	case o.LongEvery < 0:
		return fmt.Errorf("%w: long-every %d below 0", ErrEmitOptions, o.LongEvery)
	case o.LongEvery > 0 && o.LongBytes <= LongLineMin:
		return fmt.Errorf("%w: long bytes %d must exceed %d", ErrEmitOptions,
			o.LongBytes, LongLineMin)
	case o.Count < 0:
		return fmt.Errorf("%w: count %d below 0", ErrEmitOptions, o.Count)
	}
	return nil
}

// Emit writes numbered lines to stdout and stderr at opts.Rate until
// opts.Count lines are written or ctx ends. When ctx ends first, it
// writes the final line "<name> final emitted=<n>" on stdout and returns
// nil at once. It returns how many numbered lines it wrote.
//
// Every line is one Write call, so a writer that frames writes (Docker)
// keeps lines whole.
func Emit(ctx context.Context, stdout, stderr io.Writer, opts EmitOptions) (int64, error) {
	if err := opts.Validate(); err != nil {
		return 0, err
	}
	interval := time.Duration(float64(time.Second) / opts.Rate)
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()

	var n int64
	for opts.Count == 0 || n < opts.Count {
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
		if ctx.Err() != nil { // a signal wins over a due line
			return n, writeFinal(stdout, opts.Name, n)
		}
		n++
		w := stdout
		if onStderr(n, opts.StderrShare) {
			w = stderr
		}
		if _, err := w.Write(Line(opts, n)); err != nil {
			return n - 1, fmt.Errorf("write line %d: %w", n, err)
		}
		wait := time.Until(start.Add(time.Duration(n) * interval))
		if wait < -maxBehind { // paused: go on at the rate, not in a burst
			start, wait = start.Add(-wait), 0
		}
		timer.Reset(wait)
	}
	return n, nil
}

// maxBehind is how far the emitter may fall behind its schedule (a
// paused container, a starved CPU) and still catch up by writing faster.
const maxBehind = time.Second

// writeFinal writes the line that tells how many lines were emitted.
func writeFinal(w io.Writer, name string, n int64) error {
	_, err := fmt.Fprintf(w, "%s final emitted=%d\n", name, n)
	if err != nil {
		return fmt.Errorf("write final line: %w", err)
	}
	return nil
}

// onStderr spreads the stderr share evenly: line n goes to stderr when
// floor(n*share) steps up from floor((n-1)*share).
func onStderr(n int64, share float64) bool {
	return int64(float64(n)*share) > int64(float64(n-1)*share)
}

// Line returns line n with its newline: "<name> seq=<n> " and at least one
// "x" of padding, up to LineBytes (or LongBytes for every LongEvery-th).
func Line(opts EmitOptions, n int64) []byte {
	size := opts.LineBytes
	if opts.LongEvery > 0 && n%int64(opts.LongEvery) == 0 {
		size = opts.LongBytes
	}
	b := make([]byte, 0, max(size, len(opts.Name)+32)+1)
	b = append(b, opts.Name...)
	b = append(b, " seq="...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, ' ', 'x')
	for len(b) < size {
		b = append(b, 'x')
	}
	return append(b, '\n')
}
