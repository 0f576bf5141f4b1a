package loadtest_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/logcap/logcap/internal/engine/enginetest"
	"github.com/logcap/logcap/loadtest"
)

// TestChurnKeepsCount churns 5 containers for 30 s, one operation every
// 2 s, and samples the run every half second meanwhile: it always has 5
// containers (6 while a replacement starts), and all run but the one a
// restart in place has down for a moment.
func TestChurnKeepsCount(t *testing.T) {
	const n = 5
	cli := enginetest.Client(t)
	run := newRun(t, cli)
	ctx := context.Background()
	spawn := emitterOptions(t, run, n)
	if _, err := loadtest.Spawn(ctx, cli, spawn); err != nil {
		t.Fatalf("Spawn: %v", err)
	}

	sampleCtx, stopSampling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var counts []sample
	wg.Go(func() { counts = sampleRun(sampleCtx, cli, run) })

	stats, err := loadtest.Churn(ctx, cli, loadtest.ChurnOptions{
		Spawn: spawn, PerMinute: 30, Duration: 30 * time.Second, RestartShare: 0.5, Seed: 1,
	})
	stopSampling()
	wg.Wait()
	if err != nil {
		t.Fatalf("Churn: %v (stats %+v)", err, stats)
	}

	t.Logf("churn stats %+v, %d samples", stats, len(counts))
	// How many operations fit in 30 s depends on how busy the engine is;
	// the second operation is already a restart.
	if stats.Replaced < 1 || stats.Restarted < 1 {
		t.Errorf("stats %+v: want at least one replacement and one restart", stats)
	}
	if stats.Failed != 0 || stats.Started != 0 {
		t.Errorf("stats %+v: want no failure and no refill", stats)
	}
	// A restart in place is down for a moment (longer on a busy engine);
	// a replacement starts before its victim goes.
	for i, c := range counts {
		if c.running < n-1 || c.running > n+1 || c.existing < n || c.existing > n+1 {
			t.Errorf("sample %d: %d running of %d, want %d (±1 mid-operation) of %d or %d",
				i, c.running, c.existing, n, n, n+1)
		}
	}
	checkListed(t, cli, run, n, nil)
}

// sample is one look at a run: its containers and how many run.
type sample struct{ existing, running int }

// sampleRun samples the run every half second until ctx ends.
func sampleRun(ctx context.Context, cli *client.Client, run string) []sample {
	var samples []sample
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return samples
		case <-tick.C:
		}
		list, err := loadtest.List(ctx, cli, run)
		if err != nil {
			continue
		}
		s := sample{existing: len(list)}
		for _, c := range list {
			if c.State == "running" {
				s.running++
			}
		}
		samples = append(samples, s)
	}
}

func TestChurnBadInput(t *testing.T) {
	good := loadtest.ChurnOptions{
		Spawn: loadtest.SpawnOptions{Count: 2, RunID: "r1"}, PerMinute: 6,
	}
	tests := []struct {
		name string
		edit func(*loadtest.ChurnOptions)
	}{
		{"no run id", func(o *loadtest.ChurnOptions) { o.Spawn.RunID = "" }},
		{"no containers", func(o *loadtest.ChurnOptions) { o.Spawn.Count = 0 }},
		{"zero rate", func(o *loadtest.ChurnOptions) { o.PerMinute = 0 }},
		{"negative duration", func(o *loadtest.ChurnOptions) { o.Duration = -time.Second }},
		{"restart share above 1", func(o *loadtest.ChurnOptions) { o.RestartShare = 1.1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := good
			tt.edit(&opts)
			_, err := loadtest.Churn(context.Background(), nil, opts)
			if !errors.Is(err, loadtest.ErrSpawnInput) {
				t.Errorf("Churn = %v, want ErrSpawnInput", err)
			}
		})
	}
	if err := good.Validate(); err != nil {
		t.Errorf("Validate(good) = %v, want nil", err)
	}
}
