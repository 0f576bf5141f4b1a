package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/logcap/logcap/loadtest"
)

// newEmitCmd is the hidden command spawned containers run: numbered lines
// on stdout and stderr until a signal or --count.
func newEmitCmd() *cobra.Command {
	opts := loadtest.EmitOptions{Rate: 10, LineBytes: 100, LongBytes: 40000}
	cmd := &cobra.Command{
		Use:    "emit",
		Hidden: true,
		Short:  "Write numbered lines (the entrypoint of spawned containers)",
		Long: `emit writes "<name> seq=<n> xxx..." lines, n counting from 1 across stdout
and stderr. On SIGTERM or SIGINT it writes "<name> final emitted=<n>" on
stdout and exits at once; with --count it exits 0 after that many lines.`,
		Example: `  logcap emit --rate 100 --stderr-share 0.2 --count 1000
  logcap emit --long-every 50 --long-bytes 70000 --name test-1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Name == "" {
				opts.Name = defaultEmitName()
			}
			if err := opts.Validate(); err != nil {
				return withCode(exitHarness, err)
			}
			return runEmit(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Name, "name", "", "name at the start of every line (default $HOSTNAME)")
	f.Float64Var(&opts.Rate, "rate", opts.Rate, "lines per second")
	f.IntVar(&opts.LineBytes, "line-bytes", opts.LineBytes, "length of a line, newline excluded")
	f.Float64Var(&opts.StderrShare, "stderr-share", 0, "share of lines on stderr, 0..1")
	f.IntVar(&opts.LongEvery, "long-every", 0, "make every K-th line long; 0 for none")
	f.IntVar(&opts.LongBytes, "long-bytes", opts.LongBytes, "length of a long line, over 16384")
	f.Int64Var(&opts.Count, "count", 0, "exit after this many lines; 0 runs until a signal")
	return cmd
}

func runEmit(ctx context.Context, stdout, stderr io.Writer, opts loadtest.EmitOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	_, err := loadtest.Emit(ctx, stdout, stderr, opts)
	return err
}

// defaultEmitName is $HOSTNAME, else the host name, else "emit".
func defaultEmitName() string {
	if h := os.Getenv("HOSTNAME"); h != "" {
		return h
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "emit"
}
