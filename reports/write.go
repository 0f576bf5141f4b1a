package reports

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/logcap/logcap/analyze"
)

// The files Write puts in a run directory.
const (
	ReportFile  = "report.md"
	SummaryFile = "summary.json"
	ChartFile   = "chart.svg"
)

// Write renders the report, the summary and the chart of a scored run and
// puts them in dir as report.md, summary.json and chart.svg. Everything is
// rendered before anything is written, and each file replaces its old
// version by rename, so a failure leaves every file either old or new,
// never half-written or gone.
func Write(dir string, run analyze.Run, res analyze.Result) error {
	files, err := render(run, res)
	if err != nil {
		return err
	}

	temps := make([]string, 0, len(files))
	defer func() {
		for _, t := range temps {
			_ = os.Remove(t) // gone already after a successful rename
		}
	}()
	for _, f := range files {
		tmp, err := writeTemp(dir, f.name, f.data)
		if err != nil {
			return err
		}
		temps = append(temps, tmp)
	}

	for i, f := range files {
		if err := os.Rename(temps[i], filepath.Join(dir, f.name)); err != nil {
			return fmt.Errorf("replace %s: %w", f.name, err)
		}
	}
	return syncDir(dir)
}

// file is one rendered output file.
type file struct {
	name string
	data []byte
}

// render builds the three files in memory. The report comes last so that
// a reader who sees the new report.md also finds the new chart and summary.
func render(run analyze.Run, res analyze.Result) ([]file, error) {
	var chart, report bytes.Buffer
	r := newReport(run, res)
	if err := r.chart().WriteSVG(&chart); err != nil {
		return nil, err
	}
	summary, err := marshalSummary(Summary(run, res))
	if err != nil {
		return nil, fmt.Errorf("encode summary: %w", err)
	}
	if err := Markdown(&report, run, res); err != nil {
		return nil, err
	}
	return []file{
		{ChartFile, chart.Bytes()},
		{SummaryFile, summary},
		{ReportFile, report.Bytes()},
	}, nil
}

// writeTemp writes data to a new hidden file next to name in dir, synced to
// disk, and returns its path.
func writeTemp(dir, name string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("create temporary %s: %w", name, err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(f.Name()) // the write already failed; this is cleanup
		return "", fmt.Errorf("write temporary %s: %w", name, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("chmod temporary %s: %w", name, err)
	}
	return f.Name(), nil
}

// syncDir makes the renames durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open run directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync run directory: %w", err)
	}
	return nil
}
