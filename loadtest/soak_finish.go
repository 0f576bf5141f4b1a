package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/logcap/logcap/analyze"
	"github.com/logcap/logcap/reports"
)

// settleLimit bounds the wait for the last lines after the containers
// stopped. The wait ends as soon as every final line is in, so a generous
// limit costs nothing on a quiet machine; 30s was once too short on a
// machine with a load average of 10.
const settleLimit = 60 * time.Second

// teardown ends the churn, stops the containers and lets the capturer
// catch their final lines (after a run that ended normally only), stops
// the child capturer, and removes the run's containers. It runs on a
// fresh context, since runCtx may be cancelled, and only once; runCtx
// ending cuts short only the wait for the final lines.
func (s *soak) teardown(runCtx context.Context, normal bool) {
	if s.tornDown {
		return
	}
	s.tornDown = true
	s.opts.Live.Done()
	ctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
	defer cancel()

	if s.load != nil {
		if err := s.load.stopChurn(); err != nil {
			s.note("churn failed: %v", err)
		}
		if normal && len(s.load.names) > 0 {
			s.stopAndSettle(ctx, runCtx)
		}
	}
	if s.child != nil {
		if err := s.child.Stop(childGrace); err != nil {
			s.note("capturer did not stop cleanly: %v", err)
		}
	}
	if s.load != nil {
		// A fresh context: a slow stop or settle must not leave the
		// removal no time, or the containers stay behind.
		rctx, rcancel := context.WithTimeout(context.Background(), teardownTimeout)
		defer rcancel()
		if err := s.load.cleanup(rctx); err != nil {
			s.teardownErr = fmt.Errorf("remove containers of run %s: %w", s.opts.RunID, err)
		}
	}
	if s.scraper != nil {
		s.scraper.Close()
	}
}

// stopAndSettle stops the containers and waits for their last lines: in
// the sink of the built-in capturer, until every stopped container's final
// line is there; for another target, until its lines counter stops rising.
func (s *soak) stopAndSettle(ctx, runCtx context.Context) {
	s.live("stopping")
	var tail *finalTail
	if s.opts.Builtin() {
		tail = newFinalTail(filepath.Join(s.dir, SinkFile))
	}
	stopped, err := s.load.stop(ctx)
	if err != nil {
		s.note("stopping containers: %v", err)
	}

	s.live("settling")
	wait, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(runCtx, cancel)()
	switch {
	case tail != nil:
		s.settleSink(wait, tail, stopped, settleLimit)
	case s.scraper != nil:
		s.settle(wait, settleLimit)
	}
	s.opts.Live.Clear()
	if runCtx.Err() != nil {
		s.note("interrupted while waiting for the containers' final lines")
	}
}

// note records a remark for the report and logs it.
func (s *soak) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.notes = append(s.notes, msg)
	s.log.Warn(msg)
}

// finish checks completeness, scores what was collected and writes the
// report. runErr is how the run ended; it is returned joined with any
// later failure.
func (s *soak) finish(runErr error) (Outcome, error) {
	out := Outcome{Dir: s.dir}
	s.info.EndedAt = time.Now().UTC()
	s.info.Incomplete = runErr != nil
	if runErr == nil {
		s.completeness()
	}
	if err := analyze.WriteRunInfo(s.dir, s.info); err != nil {
		return out, errors.Join(runErr, err, s.teardownErr)
	}
	if s.taken == 0 && !errors.Is(runErr, ErrInterrupted) && !errors.Is(runErr, ErrTargetLost) {
		return out, errors.Join(runErr, s.teardownErr)
	}

	run, err := s.readRun()
	if err != nil {
		return out, errors.Join(runErr, err, s.teardownErr)
	}
	res, scoreErr := s.score(run, runErr)
	res.Notes = append(res.Notes, s.notes...)
	if err := reports.Write(s.dir, run, res); err != nil {
		return out, errors.Join(runErr, scoreErr, err, s.teardownErr)
	}
	out.Report = filepath.Join(s.dir, reports.ReportFile)
	out.Result = res
	return out, errors.Join(runErr, scoreErr, s.teardownErr)
}

// readRun reads the run back; a run without checkpoints is its run.json.
func (s *soak) readRun() (analyze.Run, error) {
	if s.taken == 0 {
		return analyze.Run{Dir: s.dir, Info: s.info}, nil
	}
	return analyze.ReadRun(s.dir)
}

// score scores the run. A run that ended before its first checkpoint
// cannot be scored (analyze.Score returns ErrNoCheckpoints): its Result is
// INCONCLUSIVE and incomplete, saying why, so the report is still written.
func (s *soak) score(run analyze.Run, runErr error) (analyze.Result, error) {
	res, err := analyze.Score(run, s.opts.Criteria)
	if len(run.Checkpoints) > 0 || !errors.Is(err, analyze.ErrNoCheckpoints) {
		return res, err
	}
	why := "interrupted before the first checkpoint"
	if errors.Is(runErr, ErrTargetLost) {
		why = "the target stopped answering before the first checkpoint"
	}
	res.Verdict, res.Incomplete = analyze.Inconclusive, true
	res.Reasons = append(res.Reasons, why+": nothing was measured")
	return res, nil
}

// completeness checks the sink of the built-in capturer against the
// emitters' numbered lines, into run.json. An external target's sink is
// unknown, so it is not checked.
func (s *soak) completeness() {
	if !s.opts.Builtin() || s.load == nil || len(s.load.names) == 0 {
		return
	}
	prefix := strings.TrimSuffix(ContainerName(s.opts.RunID, 1), "001")
	c, err := CheckCompletenessFile(filepath.Join(s.dir, SinkFile), prefix, s.load.names)
	if errors.Is(err, fs.ErrNotExist) {
		c, err = CheckCompleteness(strings.NewReader(""), prefix, s.load.names)
	}
	if err != nil {
		s.note("completeness not checked: %v", err)
		return
	}
	s.info.Completeness = c
}
