package analyze

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CSV import: a timeline recorded by another tool becomes a run directory.
// The first row is a header; names are matched without regard to case,
// spaces or dashes. Required columns:
//
//	elapsed      time since the start: seconds ("90", "90.5") or a Go
//	             duration ("1m30s"); strictly increasing. Aliases:
//	             elapsed_seconds, seconds.
//	goroutines   goroutine count.
//	fds          open file descriptors. Alias: open_fds.
//
// Optional columns (an empty cell means not measured at that row):
//
//	active_streams, pool_capacity, rotations, lines, healthy (1/0,
//	true/false), max_fds, rss_bytes (alias rss).
//
// Each column becomes the metric the criteria read (Criteria.Metrics), and
// criteria whose columns are missing are recorded as disabled in run.json.
// Only commas separate fields: a file saved with semicolons by a spreadsheet
// must be converted first.

// csvColumn is one known column: its names and the metric it fills.
type csvColumn struct {
	names    []string
	metric   func(MetricNames) string
	crit     string // the criterion that needs it, if any
	required bool
}

var csvColumns = []csvColumn{
	{names: []string{"elapsed", "elapsed_seconds", "seconds"}, required: true},
	{names: []string{"goroutines"}, required: true, crit: CritGoroutines,
		metric: func(m MetricNames) string { return m.Goroutines }},
	{names: []string{"fds", "open_fds"}, required: true, crit: CritFDs,
		metric: func(m MetricNames) string { return m.OpenFDs }},
	{names: []string{"active_streams"}, crit: CritPool,
		metric: func(m MetricNames) string { return m.StreamsActive }},
	{names: []string{"pool_capacity"}, crit: CritPool,
		metric: func(m MetricNames) string { return m.PoolCapacity }},
	{names: []string{"rotations"}, crit: CritRotations,
		metric: func(m MetricNames) string { return m.Rotations }},
	{names: []string{"lines"}, crit: CritLiveness,
		metric: func(m MetricNames) string { return m.Lines }},
	{names: []string{"healthy", "health"}, crit: CritHealth,
		metric: func(m MetricNames) string { return m.Healthy }},
	{names: []string{"max_fds"},
		metric: func(m MetricNames) string { return m.MaxFDs }},
	{names: []string{"rss_bytes", "rss"},
		metric: func(m MetricNames) string { return m.ResidentBytes }},
}

// maxCSVRows bounds an import, so a runaway file fails fast.
const maxCSVRows = 1_000_000

var columnSep = regexp.MustCompile(`[\s-]+`)

// ParseCSV reads a timeline in the format above into a run whose first
// checkpoint is at start. name names the run (its file name, say). Errors
// name the line and column.
func ParseCSV(r io.Reader, name string, start time.Time, m MetricNames) (Run, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return Run{}, errors.New("empty file: want a header row")
	}
	if err != nil {
		return Run{}, fmt.Errorf("header: %w", err)
	}
	cols, err := mapHeader(header)
	if err != nil {
		return Run{}, err
	}
	var cps []Checkpoint
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Run{}, err
		}
		line, _ := cr.FieldPos(0)
		cp, err := csvCheckpoint(rec, cols, m, len(cps), start)
		if err != nil {
			return Run{}, fmt.Errorf("line %d: %w", line, err)
		}
		if err := checkOrder(cps, cp); err != nil || (len(cps) > 0 &&
			cp.Elapsed == cps[len(cps)-1].Elapsed) {
			return Run{}, fmt.Errorf("line %d: elapsed must increase from row to row", line)
		}
		if cps = append(cps, cp); len(cps) > maxCSVRows {
			return Run{}, fmt.Errorf("more than %d rows", maxCSVRows)
		}
	}
	if len(cps) == 0 {
		return Run{}, errors.New("no data row after the header")
	}
	return Run{Info: csvRunInfo(name, start, cps, m), Checkpoints: cps}, nil
}

// mapHeader returns, for each column of the file, its index in csvColumns.
func mapHeader(header []string) ([]int, error) {
	cols := make([]int, len(header))
	seen := map[int]bool{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // a byte order mark from a spreadsheet
		}
		key := columnSep.ReplaceAllString(strings.ToLower(strings.TrimSpace(h)), "_")
		k := slices.IndexFunc(csvColumns, func(c csvColumn) bool {
			return slices.Contains(c.names, key)
		})
		if k < 0 {
			return nil, fmt.Errorf("header: unknown column %q", h)
		}
		if seen[k] {
			return nil, fmt.Errorf("header: column %q given twice", h)
		}
		seen[k], cols[i] = true, k
	}
	for k, c := range csvColumns {
		if c.required && !seen[k] {
			return nil, fmt.Errorf("header: missing column %q", c.names[0])
		}
	}
	return cols, nil
}

func csvCheckpoint(rec []string, cols []int, m MetricNames, idx int,
	start time.Time) (Checkpoint, error) {
	cp := Checkpoint{Index: idx, Metrics: map[string][]Sample{}}
	for i, cell := range rec {
		c := csvColumns[cols[i]]
		cell = strings.TrimSpace(cell)
		if c.metric == nil {
			secs, err := parseElapsed(cell)
			if err != nil {
				return cp, fmt.Errorf("column %s: %w", c.names[0], err)
			}
			cp.Elapsed = secs
			cp.Time = start.Add(time.Duration(secs * float64(time.Second)))
			continue
		}
		if cell == "" {
			if c.required {
				return cp, fmt.Errorf("column %s: empty", c.names[0])
			}
			continue
		}
		v, err := parseCell(cell, c.crit == CritHealth)
		if err != nil {
			return cp, fmt.Errorf("column %s: %w", c.names[0], err)
		}
		cp.Metrics[c.metric(m)] = []Sample{{Value: v}}
	}
	return cp, nil
}

// parseElapsed reads seconds or a Go duration.
func parseElapsed(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		d, derr := time.ParseDuration(s)
		if derr != nil {
			return 0, fmt.Errorf("%q is neither seconds nor a duration like 1m30s", clip(s))
		}
		v = d.Seconds()
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > maxElapsed {
		return 0, fmt.Errorf("%q out of range", clip(s))
	}
	return v, nil
}

func parseCell(s string, boolean bool) (float64, error) {
	if boolean {
		switch strings.ToLower(s) {
		case "true", "ok", "healthy":
			return 1, nil
		case "false", "unhealthy":
			return 0, nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > maxValue {
		return 0, fmt.Errorf("%q is not a number from 0 to 1e18", clip(s))
	}
	if boolean && v != 0 && v != 1 {
		return 0, fmt.Errorf("%q: want 1 or 0", clip(s))
	}
	return v, nil
}

// csvRunInfo describes an imported run; criteria without their columns, or
// whose columns hold no value, are recorded as disabled so that analyze
// scores what the file holds.
func csvRunInfo(name string, start time.Time, cps []Checkpoint, m MetricNames) RunInfo {
	var disabled []string
	for _, c := range csvColumns {
		if c.crit != "" && !hasMetric(cps, c.metric(m)) && !slices.Contains(disabled, c.crit) {
			disabled = append(disabled, c.crit)
		}
	}
	first, last := cps[0].Elapsed, cps[len(cps)-1].Elapsed
	info := RunInfo{
		RunID:        "import-" + runIDPart(name),
		StartedAt:    start.Add(-time.Duration(first * float64(time.Second))),
		EndedAt:      start.Add(time.Duration((last - first) * float64(time.Second))),
		Command:      []string{"logcap", "analyze", "import", name},
		Flags:        map[string]string{"source": name},
		Target:       "imported from " + name,
		ImportedFrom: name,
		Duration:     time.Duration((last - first) * float64(time.Second)),
	}
	if len(disabled) > 0 {
		info.Flags["disable"] = strings.Join(disabled, ",")
	}
	if len(cps) > 1 {
		info.Interval = time.Duration((last - first) / float64(len(cps)-1) * float64(time.Second))
	}
	return info
}

var notIDChar = regexp.MustCompile(`[^a-z0-9-]+`)

func runIDPart(name string) string {
	base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	id := strings.Trim(notIDChar.ReplaceAllString(strings.ToLower(base), "-"), "-")
	if id == "" {
		return "csv"
	}
	return id[:min(len(id), 40)]
}

// WriteNewRun writes run.json and checkpoints.jsonl into dir, which must not
// exist or be empty: the files are written in a temporary directory beside
// it, which is then renamed, so nothing is ever half written or overwritten.
func WriteNewRun(dir string, run Run) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s exists and is not empty", dir)
	} else if err == nil {
		if err := os.Remove(dir); err != nil {
			return fmt.Errorf("replace empty %s: %w", dir, err)
		}
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp*")
	if err != nil {
		return fmt.Errorf("create run directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := WriteRunInfo(tmp, run.Info); err != nil {
		return err
	}
	if err := writeCheckpoints(filepath.Join(tmp, CheckpointsFile), run.Checkpoints); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("chmod run directory: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("rename run directory: %w", err)
	}
	return nil
}

// writeCheckpoints writes cps as JSON lines to a new file and syncs it.
func writeCheckpoints(path string, cps []Checkpoint) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create checkpoints: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, cp := range cps {
		if err := enc.Encode(cp); err != nil {
			f.Close()
			return fmt.Errorf("write checkpoint %d: %w", cp.Index, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write checkpoints: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync checkpoints: %w", err)
	}
	return f.Close()
}

func hasMetric(cps []Checkpoint, name string) bool {
	return slices.ContainsFunc(cps, func(cp Checkpoint) bool { return len(cp.Metrics[name]) > 0 })
}
