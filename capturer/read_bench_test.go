package capturer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// BenchmarkFollowerRead measures the capturer's own cost per line: frames
// in memory through demux, dedup, joining and JSON encoding into the sink,
// with no daemon involved.
func BenchmarkFollowerRead(b *testing.B) {
	const lines = 10000
	var in bytes.Buffer
	start := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	for i := range lines {
		at := start.Add(time.Duration(i) * time.Microsecond)
		ts := at.Format("2006-01-02T15:04:05.000000000Z07:00")
		in.WriteString(frame(1, fmt.Sprintf("%s bench-1 seq=%d %s\n", ts, i+1, strings.Repeat("x", 76))))
	}
	h := newHealth()
	log := slog.New(slog.DiscardHandler)
	p := newPool(1)
	s := newSink(io.Discard, time.Millisecond, h, log)
	go s.run()
	defer s.close()
	d := &deps{pool: p, sink: s, met: newMetrics(p, h), log: log, maxLine: 1 << 20}
	b.SetBytes(int64(in.Len()))
	b.ResetTimer()
	for b.Loop() {
		f := newFollower(d, "id", "bench-1")
		if err := f.read(context.Background(), bytes.NewReader(in.Bytes())); err != io.EOF {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*lines)/b.Elapsed().Seconds(), "lines/s")
}
