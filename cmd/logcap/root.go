package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

// Exit codes shared by every command. soak and analyze RUN_DIR map their
// verdict onto the first three; see README.md.
const (
	exitOK           = 0
	exitFailed       = 1 // criteria failed, or a plain command error
	exitInconclusive = 2
	exitHarness      = 3 // the harness itself failed: bad input, engine, target
	exitInterrupted  = 4 // stopped by a signal; the report is marked incomplete
)

// exitError carries an exit code chosen by a command up to execute.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that execute exits with code.
func withCode(code int, err error) error {
	return &exitError{code: code, err: err}
}

type globalFlags struct {
	logLevel  string
	logFormat string
}

var globals globalFlags

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "logcap",
		Short: "Capture Docker logs, and prove the capturer does not leak",
		Long: `logcap captures Docker container logs through a bounded, fair stream pool,
spawns labelled containers that emit numbered lines, and soaks a capturer
under that load to prove it leaks neither goroutines nor file descriptors.`,
		Example: `  logcap soak --containers 55 --duration 60m
  logcap run --max-streams 50 --output lines.jsonl
  logcap analyze diff base.pb.gz final.pb.gz`,
		Version:       fmt.Sprintf("%s (commit %s)", version, commit),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("logcap {{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVar(&globals.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	pf.StringVar(&globals.logFormat, "log-format", "text", "log format on stderr: text or json")

	root.AddCommand(
		newRunCmd(),
		newSpawnCmd(),
		newEmitCmd(),
		newSoakCmd(),
		newAnalyzeCmd(),
	)
	return root
}

// execute runs the command line and returns the process exit code.
func execute(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(os.Stderr, "logcap: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(os.Stderr, "logcap: %v\n", err)
	return exitFailed
}

// newLogger builds the stderr logger from the global flags.
func newLogger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(globals.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", globals.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(globals.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", globals.logFormat)
}
