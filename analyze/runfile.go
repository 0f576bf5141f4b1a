package analyze

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// File names inside a run directory.
const (
	RunInfoFile     = "run.json"
	CheckpointsFile = "checkpoints.jsonl"
)

// ErrNoCheckpoints is returned by ReadRun when checkpoints.jsonl holds no
// checkpoint.
var ErrNoCheckpoints = errors.New("no checkpoints")

// ReadRun reads run.json and checkpoints.jsonl from dir. A malformed line is
// an error naming the file and line, except a torn last line (the run was
// killed while appending), which is dropped.
func ReadRun(dir string) (Run, error) {
	run := Run{Dir: dir}
	info, err := readRunInfo(filepath.Join(dir, RunInfoFile))
	if err != nil {
		return run, err
	}
	run.Info = info

	f, err := os.Open(filepath.Join(dir, CheckpointsFile))
	if err != nil {
		return run, fmt.Errorf("open checkpoints: %w", err)
	}
	defer f.Close()
	cps, torn, err := ReadCheckpoints(f)
	if err != nil {
		return run, fmt.Errorf("%s: %w", filepath.Join(dir, CheckpointsFile), err)
	}
	if len(cps) == 0 {
		return run, fmt.Errorf("%s: %w", filepath.Join(dir, CheckpointsFile), ErrNoCheckpoints)
	}
	run.Checkpoints = cps
	if torn {
		run.Notes = append(run.Notes, "the last line of checkpoints.jsonl was torn "+
			"(the writer was killed) and is ignored")
	}
	return run, nil
}

func readRunInfo(path string) (RunInfo, error) {
	var info RunInfo
	b, err := os.ReadFile(path)
	if err != nil {
		return info, fmt.Errorf("read run info: %w", err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("%s: %w", path, err)
	}
	return info, nil
}

// ReadCheckpoints reads JSON lines of checkpoints. Blank lines are skipped.
// A last line without its newline that is not valid JSON was torn by a
// killed writer: it is dropped and torn is true. Any other bad line, an
// Index that does not increase, or an elapsed time that goes backwards is
// an error naming its line number.
func ReadCheckpoints(r io.Reader) (cps []Checkpoint, torn bool, err error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, false, fmt.Errorf("read checkpoints: %w", err)
	}
	lines := bytes.Split(data, []byte{'\n'})
	for n, line := range lines {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var cp Checkpoint
		if err := json.Unmarshal(line, &cp); err != nil {
			if n == len(lines)-1 {
				return cps, true, nil
			}
			return nil, false, fmt.Errorf("line %d: %w", n+1, err)
		}
		if err := cmp.Or(checkOrder(cps, cp), checkValues(cp)); err != nil {
			return nil, false, fmt.Errorf("line %d: %w", n+1, err)
		}
		cps = append(cps, cp)
	}
	return cps, false, nil
}

// maxValue bounds a metric value, so that sums and squares of values stay
// finite: no goroutine count, fd count, byte count or timestamp comes near.
const maxValue = 1e18

// maxElapsed bounds a checkpoint's elapsed seconds: about 31 years.
const maxElapsed = 1e9

// checkValues refuses a value beyond ±maxValue.
func checkValues(cp Checkpoint) error {
	for name, samples := range cp.Metrics {
		for _, smp := range samples {
			if math.Abs(smp.Value) > maxValue {
				return fmt.Errorf("checkpoint %d: %s = %g is out of range", cp.Index, name,
					smp.Value)
			}
		}
	}
	return nil
}

// checkOrder refuses a checkpoint whose index does not follow the previous
// one's, or whose elapsed time is negative or goes backwards.
func checkOrder(cps []Checkpoint, cp Checkpoint) error {
	if cp.Elapsed < 0 || cp.Elapsed > maxElapsed {
		return fmt.Errorf("checkpoint %d: elapsed time %g s out of range", cp.Index, cp.Elapsed)
	}
	if len(cps) == 0 {
		return nil
	}
	prev := cps[len(cps)-1]
	if cp.Index <= prev.Index {
		return fmt.Errorf("checkpoint index %d after %d", cp.Index, prev.Index)
	}
	if cp.Elapsed < prev.Elapsed {
		return fmt.Errorf("checkpoint %d: elapsed %gs before the previous %gs",
			cp.Index, cp.Elapsed, prev.Elapsed)
	}
	return nil
}

// AppendCheckpoint appends cp as one JSON line to path, creating it if
// needed, and syncs the file before returning.
func AppendCheckpoint(path string, cp Checkpoint) error {
	b, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("encode checkpoint %d: %w", cp.Index, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open checkpoints: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("append checkpoint %d: %w", cp.Index, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync checkpoints: %w", err)
	}
	return f.Close()
}

// WriteRunInfo writes dir/run.json atomically: a temporary file in dir,
// synced, then renamed over the old one.
func WriteRunInfo(dir string, info RunInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("encode run info: %w", err)
	}
	return WriteFileAtomic(filepath.Join(dir, RunInfoFile), append(b, '\n'))
}

// WriteFileAtomic writes data to path through a synced temporary file in the
// same directory and a rename, so a reader sees the old file or the new one.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("create temp for %s: %w", filepath.Base(path), err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", filepath.Base(path), err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename %s: %w", filepath.Base(path), err)
	}
	return nil
}
