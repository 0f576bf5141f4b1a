// Command leaky is a deliberately leaking Docker log capturer, kept for
// tests only: the soak gate must fail it and name its leak. From the
// outside it behaves like `logcap run` (docs/CONTRACTS.md): same flags,
// same sink records, same metrics, /healthz and /debug/pprof/.
//
// It plants two leaks that real capturers have, each at one line marked
// PLANTED LEAK in capture.go. At every rotation of every stream:
//
//	(a) the two pending pipe reads (stdout and stderr), each wrapped in a
//	    goroutine raced against the rotation timer, are abandoned: both
//	    goroutines stay blocked in io.(*pipe).read forever, because no one
//	    closes the pipes' writers. That is exactly 2 goroutines with one
//	    stack per stream rotation.
//	(b) the ContainerLogs response body is not closed and its context is
//	    not cancelled, so its connection stays open: 1 file descriptor and
//	    2 transport goroutines (persistConn.readLoop and writeLoop) per
//	    stream rotation.
//
// See README.md beside this file for the measured figures.
//
// It lives under testdata so that `go build ./...` and the shipped binary
// never include it. Build it with
//
//	CGO_ENABLED=0 go build -o leaky ./loadtest/testdata/leaky
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "leaky: %v\n", err)
		os.Exit(1)
	}
}

// run parses the command line, captures until SIGINT or SIGTERM, and
// shuts down.
func run(args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	log := newLogger(cfg.logFormat)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	c, err := newCapturer(ctx, cfg, log)
	if err != nil {
		return err
	}
	srv, err := serve(cfg.listen, c.metrics, log)
	if err != nil {
		c.close()
		return err
	}
	log.Info("leaky capturer started", "listen", cfg.listen, "labels", cfg.labels,
		"max_streams", cfg.maxStreams, "rotate_every", cfg.rotateEvery)

	c.discover(ctx)

	log.Info("shutting down")
	c.close()
	return errors.Join(srv.shutdown(), c.sink.close())
}

// newLogger writes slog records to stderr as text or JSON.
func newLogger(format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}
