package loadtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/logcap/logcap/internal/engine/enginetest"
	"github.com/logcap/logcap/loadtest"
)

// BenchmarkSpawn55 measures the wall time to start 55 emitters (image
// already built) and to remove them again. Run it once:
//
//	go test ./loadtest -run '^$' -bench Spawn55 -benchtime 1x
func BenchmarkSpawn55(b *testing.B) {
	cli := enginetest.Client(b)
	bin := enginetest.LogcapBinary(b)
	enginetest.Image(b)
	ctx := context.Background()

	var start, remove time.Duration
	for b.Loop() {
		run := newRunB(b, cli)
		t0 := time.Now()
		_, err := loadtest.Spawn(ctx, cli, loadtest.SpawnOptions{
			Count: 55, RunID: run, BinaryPath: bin,
		})
		t1 := time.Now()
		if err != nil {
			b.Fatalf("Spawn: %v", err)
		}
		removed, err := loadtest.Cleanup(ctx, cli, run, false)
		if err != nil || len(removed) != 55 {
			b.Fatalf("Cleanup removed %d, %v; want 55", len(removed), err)
		}
		start += t1.Sub(t0)
		remove += time.Since(t1)
	}
	b.ReportMetric(start.Seconds()/float64(b.N), "start-s/op")
	b.ReportMetric(remove.Seconds()/float64(b.N), "remove-s/op")
}
