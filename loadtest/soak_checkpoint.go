package loadtest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/logcap/logcap/analyze"
)

// scrapeAttempts is how many times a checkpoint tries /metrics before the
// target counts as lost.
const scrapeAttempts = 3

// checkpoint takes checkpoint i: metrics, the goroutine profile, the full
// dump when dump is set, then one synced line in checkpoints.jsonl. Only a
// target that no longer answers /metrics stops the run; a failed profile
// is recorded in the checkpoint's errors.
func (s *soak) checkpoint(ctx context.Context, i int, dump bool) error {
	running := s.running(ctx)
	metrics, now, err := s.scrape(ctx)
	if err != nil && !errors.Is(err, ErrMissingMetric) {
		return err
	}
	cp := analyze.Checkpoint{
		Index:   i,
		Time:    now.UTC(),
		Elapsed: now.Sub(s.start).Seconds(),
		Metrics: metrics,
		Running: running,
	}
	if err != nil {
		cp.Errors = append(cp.Errors, err.Error())
		s.log.Warn("checkpoint scrape incomplete", "checkpoint", i, "err", err)
	}

	s.profiles(ctx, &cp, dump)
	path := filepath.Join(s.dir, analyze.CheckpointsFile)
	if err := analyze.AppendCheckpoint(path, cp); err != nil {
		return err
	}
	s.taken = i + 1
	if v, ok := Value(metrics, s.opts.Criteria.Metrics.Goroutines); ok {
		s.gor.observe(v, now)
	}
	s.live("checkpoint")
	return nil
}

// running counts the run's containers that are running now, so that the
// pool criterion follows churn; nil (unknown) without load or when the
// engine does not answer.
func (s *soak) running(ctx context.Context) *int {
	if s.load == nil {
		return nil
	}
	list, err := List(ctx, s.load.cli, s.opts.RunID)
	if err != nil {
		s.log.Warn("count running containers", "err", err)
		return nil
	}
	n := 0
	for _, c := range list {
		if c.State == "running" {
			n++
		}
	}
	return &n
}

// scrape reads /metrics, trying again a short while later when the target
// does not answer, and returns the time of the scrape that answered. ctx
// ending is returned as it is.
func (s *soak) scrape(ctx context.Context) (map[string][]analyze.Sample, time.Time, error) {
	pause := min(5*time.Second, s.opts.Interval/10)
	var last error
	for range scrapeAttempts {
		at := time.Now()
		m, _, err := s.scraper.Metrics(ctx, s.names)
		if err == nil || errors.Is(err, ErrMissingMetric) {
			return m, at, err
		}
		if ctx.Err() != nil {
			return nil, at, ctx.Err()
		}
		last = err
		s.log.Warn("scrape failed", "err", err)
		if err := sleep(ctx, pause); err != nil {
			return nil, time.Time{}, err
		}
	}
	return nil, time.Time{}, fmt.Errorf("%w: %d scrapes in a row failed: %w",
		ErrTargetLost, scrapeAttempts, last)
}

// profiles fetches the goroutine profile, and the dump when asked, into
// pprof/ and names them in cp.
func (s *soak) profiles(ctx context.Context, cp *analyze.Checkpoint, dump bool) {
	rel := fmt.Sprintf("pprof/%03d.pb.gz", cp.Index)
	if err := s.scraper.Profile(ctx, 0, filepath.Join(s.dir, rel)); err != nil {
		cp.Errors = append(cp.Errors, "goroutine profile: "+err.Error())
		s.log.Warn("goroutine profile failed", "checkpoint", cp.Index, "err", err)
	} else {
		cp.Profile = rel
	}
	if !dump {
		return
	}
	rel = fmt.Sprintf("pprof/%03d.txt", cp.Index)
	if err := s.scraper.Profile(ctx, 2, filepath.Join(s.dir, rel)); err != nil {
		cp.Errors = append(cp.Errors, "goroutine dump: "+err.Error())
		s.log.Warn("goroutine dump failed", "checkpoint", cp.Index, "err", err)
	} else {
		cp.Dump = rel
	}
}

// settle gives a target other than the built-in capturer time to capture
// the last lines of stopped containers: it polls the lines counter until
// it stops rising (and no stream is active, when that is scraped), or
// limit passes.
func (s *soak) settle(ctx context.Context, limit time.Duration) {
	m := s.opts.Criteria.Metrics
	names := sortedNames([]string{m.Lines, m.StreamsActive})
	deadline := time.Now().Add(limit)
	prev, still := -1.0, 0
	for time.Now().Before(deadline) {
		got, _, err := s.scraper.Metrics(ctx, names)
		lines, ok := Value(got, m.Lines)
		if err != nil && !ok {
			s.log.Warn("settle: cannot read the lines counter", "err", err)
			return
		}
		active, haveActive := Value(got, m.StreamsActive)
		if lines == prev {
			still++
		} else {
			still = 0
		}
		if still >= 1 && haveActive && active == 0 || still >= 4 {
			s.log.Info("capture settled", "lines", lines)
			return
		}
		prev = lines
		if sleep(ctx, settlePoll) != nil {
			return
		}
	}
	s.log.Warn("lines still rising when the settle time ran out", "limit", limit)
}

// settleSink polls the sink until the final line of every container in
// names is there, or limit passes.
func (s *soak) settleSink(ctx context.Context, tail *finalTail, names []string,
	limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		if err := tail.poll(); err != nil {
			s.note("settle: %v", err)
			return
		}
		missing := tail.missing(names)
		if len(missing) == 0 {
			s.log.Info("capture settled", "final_lines", len(names))
			return
		}
		if !time.Now().Before(deadline) {
			s.note("%d of %d final lines not captured %s after the containers stopped",
				len(missing), len(names), limit)
			return
		}
		if sleep(ctx, settlePoll) != nil {
			return
		}
	}
}

// settlePoll is how often settle reads the lines counter or the sink.
const settlePoll = 500 * time.Millisecond

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
