package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/logcap/logcap/analyze"
	"github.com/logcap/logcap/loadtest"
)

// defaultSoakContainers is --containers with the built-in capturer; with
// --target no load is spawned unless asked for.
const defaultSoakContainers = 10

type soakFlags struct {
	opts     loadtest.SoakOptions
	criteria analyze.Criteria
	labels   []string
	churn    string
}

func newSoakCmd() *cobra.Command {
	sf := soakFlags{criteria: analyze.DefaultCriteria()}
	cmd := &cobra.Command{
		Use:   "soak",
		Short: "Soak a capturer under load and score it: the CI gate",
		Long: `soak spawns --containers labelled containers that emit numbered lines,
starts "logcap run" as a child process on a free loopback port (or soaks
--target, a running service), waits --warmup, then takes a checkpoint every
--interval until --duration has passed since the start: /metrics, the
goroutine profile, and at baseline and end the full goroutine dump. It then
stops the containers, lets the capturer catch their last lines, stops it,
removes the containers, checks that every numbered line arrived once, scores
the criteria and writes report.md and summary.json into the run directory
(--out). stdout gets the verdict and the report's path; progress goes to
stderr. Ctrl-C stops the run, tears everything down and still writes the
report, marked incomplete; a second Ctrl-C exits at once and may leave
containers behind for "logcap spawn --cleanup --run ID".

Exit codes:
  0  PASS: every criterion passed
  1  FAIL: a criterion failed (the capturer leaks, stalls or loses lines)
  2  INCONCLUSIVE: too short, too noisy, or the target restarted
  3  the harness failed: bad input (a run too short for --min-duration or
     --min-checkpoints included), engine or target unreachable, a metric
     that never appeared (the report is written when checkpoints exist),
     the target lost mid-run (the report is written, marked incomplete)
  4  interrupted: the report is written and marked incomplete, even before
     the first checkpoint; stdout says INTERRUPTED before the verdict`,
		Example: `  logcap soak --containers 55 --duration 60m
  logcap soak --target http://127.0.0.1:8001 --containers 20 --duration 30m
  logcap soak --target http://127.0.0.1:9100/metrics --pprof http://127.0.0.1:6060/debug/pprof/
  logcap soak --containers 10 --duration 1m --warmup 10s --interval 10s --rotate-every 5s \
    --min-duration 30s
  logcap soak --capturer ./leaky-capturer --churn 6/min --restart-share 0.3 --out run1`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return withCode(exitHarness, fmt.Errorf("soak takes no arguments, got %q", args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSoak(cmd, &sf)
		},
	}
	addSoakFlags(cmd.Flags(), &sf)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return withCode(exitHarness, err)
	})
	return cmd
}

func addSoakFlags(f *pflag.FlagSet, sf *soakFlags) {
	o := &sf.opts
	f.IntVar(&o.Containers, "containers", defaultSoakContainers,
		"containers to spawn as load (none with --target unless set)")
	f.DurationVar(&o.Duration, "duration", loadtest.DefaultSoakDuration,
		"length of the run, from its start, spawning included")
	f.DurationVar(&o.Warmup, "warmup", loadtest.DefaultWarmup,
		"wait this long after the target answers before the baseline checkpoint")
	f.DurationVar(&o.Interval, "interval", loadtest.DefaultInterval, "time between checkpoints")
	f.IntVar(&o.MaxStreams, "max-streams", loadtest.DefaultMaxStreams,
		"stream pool capacity passed to the capturer")
	f.DurationVar(&o.RotateEvery, "rotate-every", loadtest.DefaultRotateEvery,
		"stream rotation passed to the capturer")
	f.StringVar(&o.Target, "target", "", "soak this running service (base URL or /metrics URL)")
	f.StringVar(&o.Pprof, "pprof", "", "pprof base URL (default: the target's /debug/pprof/)")
	f.StringVar(&o.Capturer, "capturer", "",
		`capturer binary, run as "PATH run <flags>" (default: this logcap)`)
	f.StringVar(&o.Dir, "out", "", "run directory, new or empty (default ./soak-<UTC time>)")
	f.StringVar(&o.RunID, "run", "", "run id for the containers (default: a new one)")
	f.StringVar(&sf.churn, "churn", "", "replace R containers a minute while soaking, as R/min")
	f.Float64Var(&o.RestartShare, "restart-share", 0, "share of churn restarted in place, 0..1")
	f.Float64Var(&o.Spawn.Rate, "rate", loadtest.DefaultRate, "lines per second per container")
	f.IntVar(&o.Spawn.LineBytes, "line-bytes", loadtest.DefaultLineBytes, "length of a line")
	f.StringArrayVar(&sf.labels, "label", nil, "label key=value on the containers, repeatable")
	analyze.RegisterFlags(f, &sf.criteria)
}

func runSoak(cmd *cobra.Command, sf *soakFlags) error {
	live := loadtest.NewLive(cmd.ErrOrStderr(), isTerminal(cmd.ErrOrStderr()))
	log, err := newLogger(live.Writer())
	if err != nil {
		return withCode(exitHarness, err)
	}
	if err := sf.complete(cmd); err != nil {
		return withCode(exitHarness, err)
	}
	sf.opts.Logger, sf.opts.Live = log, live

	ctx, stop := signal.NotifyContext(contextOf(cmd), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one kills the process at once.
	go func() {
		<-ctx.Done()
		stop()
	}()

	out, err := loadtest.Soak(ctx, sf.opts)
	if out.Report != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", verdictLine(out, err), out.Report)
	}
	return soakExit(out, err)
}

// verdictLine is the verdict as stdout shows it: a run that did not reach
// its end says so before the verdict of what was collected.
func verdictLine(out loadtest.Outcome, err error) string {
	switch {
	case errors.Is(err, loadtest.ErrInterrupted):
		return fmt.Sprintf("INTERRUPTED (%s so far)", out.Result.Verdict)
	case errors.Is(err, loadtest.ErrTargetLost):
		return fmt.Sprintf("TARGET LOST (%s so far)", out.Result.Verdict)
	}
	return string(out.Result.Verdict)
}

// complete fills the options from the flags and validates them, before
// anything is written.
func (sf *soakFlags) complete(cmd *cobra.Command) error {
	o := &sf.opts
	flags := cmd.Flags()
	if o.Target != "" && !flags.Changed("containers") {
		o.Containers = 0
	}
	if o.Target == "" && o.Capturer == "" {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find own executable: %w", err)
		}
		o.Capturer = self
	}
	labels, err := loadtest.ParseLabels(sf.labels)
	if err != nil {
		return err
	}
	o.Spawn.Labels = labels
	if sf.churn != "" {
		if o.Churn, err = parsePerMinute(sf.churn); err != nil {
			return err
		}
	} else if flags.Changed("restart-share") {
		return errors.New("--restart-share goes with --churn")
	}
	o.Criteria = sf.criteria
	o.Info = analyze.RunInfo{
		Command: os.Args, Flags: flagValues(flags), Version: version, Commit: commit,
	}
	return o.Validate()
}

// flagValues records every flag's value, defaults included, for run.json.
func flagValues(fs *pflag.FlagSet) map[string]string {
	m := map[string]string{}
	fs.VisitAll(func(f *pflag.Flag) { m[f.Name] = f.Value.String() })
	return m
}

// soakExit maps the outcome of a soak to the exit codes of --help.
func soakExit(out loadtest.Outcome, err error) error {
	switch {
	case errors.Is(err, loadtest.ErrInterrupted):
		return withCode(exitInterrupted, err)
	case err != nil:
		return withCode(exitHarness, err)
	case out.Result.Verdict == analyze.Pass:
		return nil
	case out.Result.Verdict == analyze.Fail:
		return withCode(exitFailed, nil)
	}
	return withCode(exitInconclusive, nil)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func contextOf(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
