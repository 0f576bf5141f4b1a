package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/logcap/logcap/internal/engine"
	"github.com/logcap/logcap/loadtest"
)

type spawnFlags struct {
	opts         loadtest.SpawnOptions
	labels       []string
	cmd          string
	json         bool
	churn        string
	duration     time.Duration
	restartShare float64
	cleanup      bool
	images       bool
	list         bool
}

func newSpawnCmd() *cobra.Command {
	var sf spawnFlags
	cmd := &cobra.Command{
		Use:   "spawn --containers N",
		Short: "Start N labelled containers that emit numbered lines",
		Long: `spawn starts N containers that each write "<name> seq=<n> xxx..." lines, and
returns once all are running. Names go to stdout (or JSON with --json),
progress to stderr. Containers carry logcap.managed=true, logcap.run=<id>
and your --label pairs (test=loadtest unless you set "test"); they get no
network, 32 MiB of memory and a tenth of a CPU.

The image is built locally, FROM scratch, around this logcap binary (which
must be static: CGO_ENABLED=0), and reused while the binary is the same.
Nothing is pulled. --image with --cmd runs another local image instead;
--cmd is split on spaces, without quoting.

With --churn R/min it then keeps N running for --duration, replacing R
containers a minute (a --restart-share of them restarted in place instead).
--cleanup removes what logcap spawned (only containers with its label),
--list shows it.`,
		Example: `  logcap spawn --containers 20 --rate 50 --stderr-share 0.2 --label team=core
  logcap spawn --containers 5 --long-every 100 --tty --json
  logcap spawn --containers 55 --run soak1 --churn 6/min --duration 30m --restart-share 0.3
  logcap spawn --containers 3 --image myapp:dev --cmd "/app --log-every 1s"
  logcap spawn --list
  logcap spawn --cleanup --run soak1
  logcap spawn --cleanup --images`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSpawn(cmd, &sf)
		},
	}
	addSpawnFlags(cmd, &sf)
	return cmd
}

func addSpawnFlags(cmd *cobra.Command, sf *spawnFlags) {
	f := cmd.Flags()
	o := &sf.opts
	f.IntVar(&o.Count, "containers", 0, "number of containers to start")
	f.StringArrayVar(&sf.labels, "label", nil, "label key=value, repeatable")
	f.StringVar(&o.RunID, "run", "",
		"run id (default: a new one); with --cleanup or --list, only this run")
	f.Float64Var(&o.Rate, "rate", loadtest.DefaultRate, "lines per second per container")
	f.IntVar(&o.LineBytes, "line-bytes", loadtest.DefaultLineBytes, "length of a line")
	f.Float64Var(&o.StderrShare, "stderr-share", 0, "share of lines on stderr, 0..1")
	f.IntVar(&o.LongEvery, "long-every", 0, "every K-th line is long (over 16 KiB); 0 for none")
	f.IntVar(&o.LongBytes, "long-bytes", loadtest.DefaultLongBytes, "length of a long line")
	f.BoolVar(&o.TTY, "tty", false, "give the containers a terminal (no stream frames)")
	f.StringVar(&o.Image, "image", "", "run this local image instead of the emitter")
	f.StringVar(&sf.cmd, "cmd", "", "command for --image, split on spaces")
	f.IntVar(&o.Concurrency, "concurrency", loadtest.DefaultConcurrency, "containers started at once")
	f.BoolVar(&o.KeepOnError, "keep-on-error", false, "keep started containers when some fail")
	f.BoolVar(&sf.json, "json", false, "print JSON to stdout")
	f.StringVar(&sf.churn, "churn", "", "replace R containers a minute, as R/min")
	f.DurationVar(&sf.duration, "duration", 0, "how long to churn (default: until interrupted)")
	f.Float64Var(&sf.restartShare, "restart-share", 0, "share of churn restarted in place, 0..1")
	f.BoolVar(&sf.cleanup, "cleanup", false, "remove logcap's containers (of --run, if given)")
	f.BoolVar(&sf.images, "images", false, "with --cleanup, remove logcap's unused images too")
	f.BoolVar(&sf.list, "list", false, "list logcap's containers (of --run, if given)")
}

func runSpawn(cmd *cobra.Command, sf *spawnFlags) error {
	log, err := newLogger(cmd.ErrOrStderr())
	if err != nil {
		return withCode(exitHarness, err)
	}
	mode, err := sf.check(cmd)
	if err != nil {
		return withCode(exitHarness, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cli, err := engine.Connect(ctx)
	if err != nil {
		return withCode(exitHarness, err)
	}
	defer cli.Close()

	out := cmd.OutOrStdout()
	switch mode {
	case "cleanup":
		err = doCleanup(ctx, cli, sf, out, cmd.ErrOrStderr())
	case "list":
		err = doList(ctx, cli, sf, out)
	default:
		err = doSpawn(ctx, cli, sf, out, cmd.ErrOrStderr(), log)
	}
	return spawnExit(ctx, err)
}

// check validates the flags without the engine and returns the mode.
func (sf *spawnFlags) check(cmd *cobra.Command) (string, error) {
	if sf.opts.RunID != "" {
		if err := loadtest.CheckRunID(sf.opts.RunID); err != nil {
			return "", err
		}
	}
	switch {
	case sf.cleanup && sf.list:
		return "", errors.New("--cleanup and --list do not go together")
	case sf.images && !sf.cleanup:
		return "", errors.New("--images goes with --cleanup")
	case sf.cleanup:
		return "cleanup", onlyFlags(cmd, "cleanup", "images", "run", "json")
	case sf.list:
		return "list", onlyFlags(cmd, "list", "run", "json")
	}
	return "spawn", sf.checkSpawn(cmd)
}

// onlyFlags fails if a flag of this command outside allowed was set.
func onlyFlags(cmd *cobra.Command, allowed ...string) error {
	var bad []string
	cmd.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
		if f.Changed && !slices.Contains(allowed, f.Name) {
			bad = append(bad, "--"+f.Name)
		}
	})
	if len(bad) > 0 {
		return fmt.Errorf("--%s does not take %s", allowed[0], strings.Join(bad, ", "))
	}
	return nil
}

// checkSpawn parses labels and churn flags and validates the options.
func (sf *spawnFlags) checkSpawn(cmd *cobra.Command) error {
	labels, err := loadtest.ParseLabels(sf.labels)
	if err != nil {
		return err
	}
	sf.opts.Labels = labels
	sf.opts.Cmd = strings.Fields(sf.cmd)
	if sf.opts.RunID == "" {
		sf.opts.RunID = engine.NewRunID()
	}
	if sf.churn == "" {
		if cmd.Flags().Changed("duration") || cmd.Flags().Changed("restart-share") {
			return errors.New("--duration and --restart-share go with --churn")
		}
		return sf.opts.Validate()
	}
	_, err = sf.churnOptions(nil)
	return err
}

// churnOptions builds and validates the churn settings from the flags.
func (sf *spawnFlags) churnOptions(log *slog.Logger) (loadtest.ChurnOptions, error) {
	perMin, err := parsePerMinute(sf.churn)
	if err != nil {
		return loadtest.ChurnOptions{}, err
	}
	co := loadtest.ChurnOptions{
		Spawn: sf.opts, PerMinute: perMin, Duration: sf.duration,
		RestartShare: sf.restartShare, Seed: uint64(time.Now().UnixNano()), Logger: log,
	}
	return co, co.Validate()
}

// parsePerMinute reads "R/min" as a rate per minute; a bare R is refused,
// since its unit would be a guess.
func parsePerMinute(s string) (float64, error) {
	num, ok := strings.CutSuffix(s, "/min")
	if !ok {
		return 0, fmt.Errorf("--churn %q: want a rate per minute like 6/min", s)
	}
	r, err := strconv.ParseFloat(num, 64)
	if err != nil || !(r > 0) || math.IsInf(r, 1) {
		return 0, fmt.Errorf("--churn %q: want a rate per minute like 6/min", s)
	}
	return r, nil
}

func doSpawn(ctx context.Context, cli *client.Client, sf *spawnFlags,
	out, errw io.Writer, log *slog.Logger) error {
	sf.opts.Progress = progressPrinter(errw)
	started, err := loadtest.Spawn(ctx, cli, sf.opts)
	if err != nil && len(started) == 0 {
		return err
	}
	fmt.Fprintf(errw, "run %s: %d containers running; remove with: logcap spawn --cleanup --run %s\n",
		sf.opts.RunID, len(started), sf.opts.RunID)
	if err != nil { // --keep-on-error: print what runs, then fail
		return errors.Join(printContainers(out, started, sf.json), err)
	}
	if sf.churn == "" {
		return printContainers(out, started, sf.json)
	}
	return churnThenPrint(ctx, cli, sf, out, errw, log)
}

func churnThenPrint(ctx context.Context, cli *client.Client, sf *spawnFlags,
	out, errw io.Writer, log *slog.Logger) error {
	co, err := sf.churnOptions(log)
	if err != nil {
		return err
	}
	co.Spawn.Progress = nil
	stats, err := loadtest.Churn(ctx, cli, co)
	fmt.Fprintf(errw, "churn: %d replaced, %d restarted, %d started to refill, %d failed\n",
		stats.Replaced, stats.Restarted, stats.Started, stats.Failed)
	if err != nil {
		return err
	}

	// The spawn context may be cancelled by now; listing must still work.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	list, err := loadtest.List(lctx, cli, sf.opts.RunID)
	if err != nil {
		return err
	}
	return printContainers(out, list, sf.json)
}

// progressPrinter rewrites one status line on a terminal, and prints a
// line at every tenth (and the last) otherwise.
func progressPrinter(w io.Writer) func(started, total int) {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return func(started, total int) {
		switch {
		case tty:
			fmt.Fprintf(w, "\rstarted %d/%d", started, total)
			if started == total {
				fmt.Fprintln(w)
			}
		case started == total || started%max(1, total/10) == 0:
			fmt.Fprintf(w, "started %d/%d\n", started, total)
		}
	}
}

func printContainers(w io.Writer, list []loadtest.Container, asJSON bool) error {
	if asJSON {
		if list == nil {
			list = []loadtest.Container{}
		}
		return writeJSON(w, list)
	}
	for _, c := range list {
		fmt.Fprintln(w, c.Name)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func doCleanup(ctx context.Context, cli *client.Client, sf *spawnFlags,
	out, errw io.Writer) error {
	removed, err := loadtest.Cleanup(ctx, cli, sf.opts.RunID, sf.images)
	return errors.Join(printRemoved(out, errw, sf.opts.RunID, removed, sf.json), err)
}

// printRemoved prints what a cleanup removed, one name a line, or as JSON;
// when that is nothing, stderr says so, so that silence is never the answer.
func printRemoved(out, errw io.Writer, runID string, removed []string, asJSON bool) error {
	if asJSON {
		if removed == nil {
			removed = []string{}
		}
		return writeJSON(out, map[string][]string{"removed": removed})
	}
	if len(removed) == 0 {
		if runID != "" {
			fmt.Fprintf(errw, "run %s: nothing to remove\n", runID)
		} else {
			fmt.Fprintln(errw, "nothing to remove")
		}
	}
	for _, r := range removed {
		fmt.Fprintln(out, r)
	}
	return nil
}

func doList(ctx context.Context, cli *client.Client, sf *spawnFlags, out io.Writer) error {
	list, err := loadtest.List(ctx, cli, sf.opts.RunID)
	if err != nil {
		return err
	}
	if sf.json {
		return printContainers(out, list, true)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tRUN\tID")
	for _, c := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.12s\n", c.Name, c.State, c.RunID, c.ID)
	}
	return tw.Flush()
}

// spawnExit maps an error to the exit code: bad input and an unusable
// engine or image are the harness's failure, a signal is an interruption.
func spawnExit(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return withCode(exitInterrupted, err)
	case errors.Is(err, loadtest.ErrSpawnInput), errors.Is(err, loadtest.ErrEmitOptions),
		errors.Is(err, loadtest.ErrImageNotFound), errors.Is(err, engine.ErrDynamicBinary):
		return withCode(exitHarness, err)
	}
	return withCode(exitFailed, err)
}
