package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/spf13/cobra"

	"github.com/logcap/logcap/analyze"
	"github.com/logcap/logcap/reports"
)

func newAnalyzeCmd() *cobra.Command {
	crit := analyze.DefaultCriteria()
	var asJSON, dryRun bool
	cmd := &cobra.Command{
		Use:   "analyze RUN_DIR",
		Short: "Re-score a soak run, diff goroutine profiles, compare and import runs",
		Long: `analyze re-scores a finished soak run from its run directory and rewrites
report.md, summary.json and chart.svg. Thresholds default to those recorded
in the run's run.json; a flag given here overrides them. With --dry-run
(or its alias --stdout) it prints the verdict and writes nothing, so the
soak's own report stays as it was. The exit code is the verdict: 0 PASS,
1 FAIL, 2 INCONCLUSIVE, 3 bad input.

The verdict rules are in docs/VERDICTS.md.`,
		Example: `  logcap analyze runs/r20261204-153012-ab12
  logcap analyze --max-goroutine-growth 1 --disable rotations runs/r1
  logcap analyze --dry-run --max-goroutine-growth 5 runs/r1
  logcap analyze diff runs/r1/pprof/000.pb.gz runs/r1/pprof/059.pb.gz
  logcap analyze compare runs/r1 runs/r2
  logcap analyze import timeline.csv --out runs/imported`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return analyzeRun(cmd, args[0], &crit, asJSON, dryRun)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return withCode(exitHarness, err)
	})
	analyze.RegisterFlags(cmd.Flags(), &crit)
	cmd.Flags().BoolVar(&asJSON, "json", false, "also print the scored result as JSON on stdout")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false,
		"print the verdict only; write no report, summary or chart")
	cmd.Flags().BoolVar(&dryRun, "stdout", false, "the same as --dry-run")
	cmd.AddCommand(newAnalyzeDiffCmd(), newAnalyzeCompareCmd(), newAnalyzeImportCmd())
	return cmd
}

// exactArgs is cobra.ExactArgs with the exit code of bad input.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return withCode(exitHarness, fmt.Errorf("%s: %w", cmd.CommandPath(), err))
		}
		return nil
	}
}

// scoreDir reads the run in dir and scores it with the thresholds it was
// run with, overridden by the flags given on this command line.
func scoreDir(cmd *cobra.Command, dir string, crit *analyze.Criteria) (
	analyze.Run, analyze.Result, error) {
	run, err := analyze.ReadRun(dir)
	if err != nil {
		return run, analyze.Result{}, withCode(exitHarness, err)
	}
	c, err := analyze.RunCriteria(*crit, run.Info.Flags, changed(cmd))
	if err != nil {
		return run, analyze.Result{}, withCode(exitHarness, err)
	}
	res, err := analyze.Score(run, c)
	if err != nil {
		err = withCode(exitHarness, fmt.Errorf("score %s: %w", dir, oneLine(err)))
	}
	return run, res, err
}

// analyzeRun scores RUN_DIR, rewrites its report and maps the verdict to the
// exit code.
func analyzeRun(cmd *cobra.Command, dir string, crit *analyze.Criteria,
	asJSON, dryRun bool) error {
	log, err := newLogger(cmd.ErrOrStderr())
	if err != nil {
		return withCode(exitHarness, err)
	}
	run, res, err := scoreDir(cmd, dir, crit)
	if err != nil {
		return err
	}
	if dryRun {
		log.Info("dry run: nothing written", "dir", dir, "verdict", res.Verdict)
	} else {
		if err := reports.Write(dir, run, res); err != nil {
			return withCode(exitHarness, fmt.Errorf("write report: %w", err))
		}
		log.Info("report rewritten", "dir", dir, "verdict", res.Verdict)
	}

	if err := printVerdict(cmd.OutOrStdout(), res, asJSON); err != nil {
		return withCode(exitHarness, err)
	}
	return verdictCode(res.Verdict)
}

// changed reports whether a flag was given on the command line.
func changed(cmd *cobra.Command) func(string) bool {
	return func(name string) bool { return cmd.Flags().Changed(name) }
}

// oneLine keeps the first of joined errors, so the message stays one line.
func oneLine(err error) error {
	var j interface{ Unwrap() []error }
	if errors.As(err, &j) && len(j.Unwrap()) > 0 {
		return j.Unwrap()[0]
	}
	return err
}

func printVerdict(w io.Writer, res analyze.Result, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	if _, err := fmt.Fprintln(w, res.Verdict); err != nil {
		return err
	}
	for _, r := range res.Reasons {
		if _, err := fmt.Fprintf(w, "  %s\n", r); err != nil {
			return err
		}
	}
	return nil
}

func verdictCode(v analyze.Verdict) error {
	switch v {
	case analyze.Pass:
		return nil
	case analyze.Fail:
		return withCode(exitFailed, nil)
	}
	return withCode(exitInconclusive, nil)
}

func newAnalyzeDiffCmd() *cobra.Command {
	var limit int
	var full bool
	cmd := &cobra.Command{
		Use:   "diff BASE FINAL",
		Short: "Print the goroutine stacks that grew from one profile to another",
		Long: `diff groups the goroutines of two profiles by stack (function and file:line
of every frame, addresses ignored) and prints the stacks whose count grew,
most growth first. A profile is a pprof goroutine profile (debug=0,
gzipped or not) or a full text dump (debug=2).`,
		Example: `  logcap analyze diff pprof/000.pb.gz pprof/059.pb.gz
  logcap analyze diff --limit 5 --stacks base.txt final.txt`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			base, err := analyze.ReadGoroutines(args[0])
			if err != nil {
				return withCode(exitHarness, err)
			}
			final, err := analyze.ReadGoroutines(args[1])
			if err != nil {
				return withCode(exitHarness, err)
			}
			stacks := analyze.DiffProfiles(base, final)
			if err := printStacks(cmd.OutOrStdout(), stacks, limit); err != nil || !full {
				return err
			}
			return printFullStacks(cmd.OutOrStdout(), stacks, limit)
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "print at most this many stacks (0: all)")
	cmd.Flags().BoolVar(&full, "stacks", false, "also print every frame of each stack")
	return cmd
}

func printStacks(w io.Writer, stacks []analyze.StackGrowth, limit int) error {
	if len(stacks) == 0 {
		_, err := fmt.Fprintln(w, "no goroutine stack grew")
		return err
	}
	shown := stacks
	if limit > 0 && len(shown) > limit {
		shown = shown[:limit]
	}
	t := tablewriter.NewWriter(w)
	t.Header("Delta", "Base", "Final", "Function", "Location")
	for _, s := range shown {
		if err := t.Append(fmt.Sprintf("+%d", s.Delta), fmt.Sprint(s.Base),
			fmt.Sprint(s.Final), s.Function, shortPath(s.Location)); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(shown) < len(stacks) {
		_, err := fmt.Fprintf(w, "%d more stacks grew; --limit 0 shows all\n",
			len(stacks)-len(shown))
		return err
	}
	return nil
}

func printFullStacks(w io.Writer, stacks []analyze.StackGrowth, limit int) error {
	for i, s := range stacks {
		if limit > 0 && i == limit {
			break
		}
		if _, err := fmt.Fprintf(w, "\n+%d %s\n", s.Delta, s.Function); err != nil {
			return err
		}
		for _, f := range s.Stack {
			if _, err := fmt.Fprintf(w, "    %s\n        %s:%d\n", f.Function, f.File,
				f.Line); err != nil {
				return err
			}
		}
	}
	return nil
}

// shortPath keeps the last three elements of a file:line, enough to find it.
func shortPath(loc string) string {
	parts := strings.Split(filepath.ToSlash(loc), "/")
	if len(parts) <= 3 {
		return loc
	}
	return ".../" + strings.Join(parts[len(parts)-3:], "/")
}

func newAnalyzeCompareCmd() *cobra.Command {
	crit := analyze.DefaultCriteria()
	cmd := &cobra.Command{
		Use:   "compare RUN_A RUN_B",
		Short: "Print two runs side by side",
		Long: `compare scores two run directories, each with the thresholds recorded in its
run.json unless a flag given here overrides them, and prints them side by
side: containers, duration, goroutine and file descriptor growth, each
criterion, verdict.`,
		Example: `  logcap analyze compare runs/before runs/after`,
		Args:    exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var runs [2]analyze.Run
			var res [2]analyze.Result
			for i, dir := range args {
				var err error
				if runs[i], res[i], err = scoreDir(cmd, dir, &crit); err != nil {
					return err
				}
			}
			rows := analyze.CompareRows(runs[0], runs[1], res[0], res[1])
			return printRows(cmd.OutOrStdout(), rows)
		},
	}
	analyze.RegisterFlags(cmd.Flags(), &crit)
	return cmd
}

func printRows(w io.Writer, rows [][]string) error {
	t := tablewriter.NewWriter(w)
	t.Header("", "A", "B")
	for _, r := range rows[1:] {
		if err := t.Append(r); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintf(w, "A: %s\nB: %s\n", rows[0][1], rows[0][2]); err != nil {
		return err
	}
	return t.Render()
}

func newAnalyzeImportCmd() *cobra.Command {
	metrics := analyze.DefaultCriteria().Metrics
	var out string
	var containers int
	cmd := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Turn a timeline recorded by another tool into a run directory",
		Long: `import reads a CSV timeline and writes a run directory (run.json and
checkpoints.jsonl) that analyze can score. The header names the columns:
elapsed (seconds or a duration such as 1m30s), goroutines and fds are
required; active_streams, pool_capacity, rotations, lines, healthy (1/0),
max_fds and rss_bytes are optional. Criteria whose columns are missing are
recorded as disabled. The directory must not exist yet, or be empty.`,
		Example: `  logcap analyze import timeline.csv --out runs/imported
  logcap analyze runs/imported`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := importCSV(args[0], out, containers, metrics)
			if err != nil {
				return withCode(exitHarness, err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", dir)
			return err
		},
	}
	cmd.Flags().StringVar(&out, "out", "",
		"run directory to create (default: FILE without .csv, plus -run)")
	cmd.Flags().IntVar(&containers, "containers", 0, "containers under load, for the pool criterion")
	analyze.RegisterMetricFlags(cmd.Flags(), &metrics)
	return cmd
}

func importCSV(path, out string, containers int, m analyze.MetricNames) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	run, err := analyze.ParseCSV(f, filepath.Base(path), st.ModTime().UTC().Truncate(time.Second), m)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	run.Info.Containers = containers
	if out == "" {
		out = strings.TrimSuffix(path, filepath.Ext(path)) + "-run"
	}
	if err := analyze.WriteNewRun(out, run); err != nil {
		return "", err
	}
	return out, nil
}
