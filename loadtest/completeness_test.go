package loadtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/logcap/logcap/analyze"
)

// sink builds sink records: each entry is "container|line".
func sink(t *testing.T, entries ...string) string {
	t.Helper()
	var b strings.Builder
	for _, e := range entries {
		name, line, _ := strings.Cut(e, "|")
		rec, err := json.Marshal(map[string]any{
			"time": "2026-12-04T15:30:12.123456789Z", "container_id": strings.Repeat("a", 64),
			"container_name": name, "stream": "stdout", "line": line,
		})
		require.NoError(t, err)
		b.Write(rec)
		b.WriteByte('\n')
	}
	return b.String()
}

func seqs(name string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s|%s seq=%d xxxx", name, name, i))
	}
	return out
}

func final(name string, n int) string {
	return fmt.Sprintf("%s|%s final emitted=%d", name, name, n)
}

func TestCheckCompleteness(t *testing.T) {
	const a, b = "logcap-r1-001", "logcap-r1-002"
	tests := []struct {
		name     string
		records  []string
		expected []string
		want     []analyze.ContainerLines
	}{
		{
			name:    "complete with final",
			records: append(seqs(a, 1, 100), final(a, 100)),
			want:    []analyze.ContainerLines{{Name: a, Emitted: 100, Captured: 100, FinalSeen: true}},
		},
		{
			name: "lost in the middle",
			records: append(append(seqs(a, 1, 40), seqs(a, 51, 70)...),
				final(a, 70)),
			want: []analyze.ContainerLines{
				{Name: a, Emitted: 70, Captured: 60, Lost: 10, FinalSeen: true},
			},
		},
		{
			name:    "lost at the tail, final says so",
			records: append(seqs(a, 1, 64), final(a, 130)),
			want: []analyze.ContainerLines{
				{Name: a, Emitted: 130, Captured: 64, Lost: 66, FinalSeen: true},
			},
		},
		{
			name:    "repeated across a rotation",
			records: append(append(seqs(a, 1, 10), seqs(a, 9, 12)...), final(a, 12)),
			want: []analyze.ContainerLines{
				{Name: a, Emitted: 12, Captured: 12, Repeated: 2, FinalSeen: true},
			},
		},
		{
			name:    "final twice is a repeat",
			records: append(seqs(a, 1, 3), final(a, 3), final(a, 3)),
			want: []analyze.ContainerLines{
				{Name: a, Emitted: 3, Captured: 3, Repeated: 1, FinalSeen: true},
			},
		},
		{
			name: "tail replayed after the final line is repeated, not lost",
			records: append(append(append(seqs(a, 1, 100), final(a, 100)),
				seqs(a, 99, 100)...), final(a, 100)),
			want: []analyze.ContainerLines{
				{Name: a, Emitted: 100, Captured: 100, Repeated: 3, FinalSeen: true},
			},
		},
		{
			name: "tail replayed after the final line, no final again",
			records: append(append(seqs(a, 1, 100), final(a, 100)),
				seqs(a, 99, 100)...),
			want: []analyze.ContainerLines{
				{Name: a, Emitted: 100, Captured: 100, Repeated: 2, FinalSeen: true},
			},
		},
		{
			name: "restarted in place: two epochs",
			records: append(append(append(seqs(a, 1, 5), final(a, 5)), seqs(a, 1, 3)...),
				final(a, 4)),
			want: []analyze.ContainerLines{
				{Name: a, Emitted: 9, Captured: 8, Lost: 1, FinalSeen: true},
			},
		},
		{
			name:    "restarted, second epoch still open",
			records: append(append(seqs(a, 1, 5), final(a, 5)), seqs(a, 1, 3)...),
			want:    []analyze.ContainerLines{{Name: a, Emitted: 8, Captured: 8}},
		},
		{
			name:    "no final line: highest seq",
			records: seqs(a, 1, 5),
			want:    []analyze.ContainerLines{{Name: a, Emitted: 5, Captured: 5}},
		},
		{
			name: "other containers and odd lines ignored",
			records: append(seqs(a, 1, 2), "other|other seq=1 x", a+"|panic: oops",
				a+"|"+a+" seq=abc", final(a, 2)),
			want: []analyze.ContainerLines{{Name: a, Emitted: 2, Captured: 2, FinalSeen: true}},
		},
		{
			name:     "expected container with nothing captured",
			records:  append(seqs(a, 1, 1), final(a, 1)),
			expected: []string{a, b},
			want: []analyze.ContainerLines{
				{Name: a, Emitted: 1, Captured: 1, FinalSeen: true},
				{Name: b},
			},
		},
		{
			name:    "two containers sorted",
			records: append(append(seqs(b, 1, 2), seqs(a, 1, 1)...), final(b, 2)),
			want: []analyze.ContainerLines{
				{Name: a, Emitted: 1, Captured: 1},
				{Name: b, Emitted: 2, Captured: 2, FinalSeen: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckCompleteness(strings.NewReader(sink(t, tt.records...)),
				"logcap-r1-", tt.expected)
			require.NoError(t, err)
			require.Equal(t, tt.want, got.Containers)
		})
	}
}

func TestCheckCompletenessLongLine(t *testing.T) {
	const a = "logcap-r1-001"
	long := fmt.Sprintf("%s|%s seq=2 %s", a, a, strings.Repeat("x", 70000))
	in := sink(t, append(append(seqs(a, 1, 1), long), final(a, 2))...)

	got, err := CheckCompleteness(strings.NewReader(in), "logcap-r1-", nil)
	require.NoError(t, err)
	want := []analyze.ContainerLines{{Name: a, Emitted: 2, Captured: 2, FinalSeen: true}}
	require.Equal(t, want, got.Containers)
}

func TestCheckCompletenessBadRecord(t *testing.T) {
	in := sink(t, seqs("logcap-r1-001", 1, 2)...) + "{not json\n"
	_, err := CheckCompleteness(strings.NewReader(in), "logcap-r1-", nil)
	require.ErrorContains(t, err, "sink record 3")
}

func TestCheckCompletenessCutOffLastRecord(t *testing.T) {
	// A capturer killed in the middle of a write leaves half a record at
	// the end: that line is lost, and the check still stands.
	const a = "logcap-r1-001"
	whole := sink(t, append(seqs(a, 1, 3), final(a, 4))...)
	in := sink(t, append(seqs(a, 1, 2), final(a, 4))...)
	cut := in + whole[:40]

	got, err := CheckCompleteness(strings.NewReader(cut), "logcap-r1-", nil)
	require.NoError(t, err)
	want := []analyze.ContainerLines{{Name: a, Emitted: 4, Captured: 2, Lost: 2,
		FinalSeen: true}}
	require.Equal(t, want, got.Containers)
}

func FuzzCompletenessLine(f *testing.F) {
	f.Add("logcap-r1-001 seq=12 xxx")
	f.Add("logcap-r1-001 final emitted=9")
	f.Add("logcap-r1-001 seq=99999999999999999999")
	f.Fuzz(func(t *testing.T, line string) {
		var s seqSet
		s.add("logcap-r1-001", line)
		l := s.lines("logcap-r1-001")
		if l.Captured > 1 || l.Repeated != 0 || l.Lost < 0 && !l.FinalSeen {
			t.Fatalf("one line gave %+v", l)
		}
	})
}

func TestFinalTail(t *testing.T) {
	const a, b = "logcap-r1-001", "logcap-r1-002"
	path := filepath.Join(t.TempDir(), "lines.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(sink(t, final(a, 9))), 0o644))
	tail := newFinalTail(path)

	require.NoError(t, tail.poll())
	require.Equal(t, []string{a, b}, tail.missing([]string{a, b}),
		"a final line from before the tail started does not count")

	whole := sink(t, append(seqs(a, 10, 11), final(a, 11), final(b, 3))...)
	cut := strings.Index(whole, final(b, 3)[len(b)+1:]) // inside b's record
	appendTo(t, path, whole[:cut])
	require.NoError(t, tail.poll())
	require.Equal(t, []string{b}, tail.missing([]string{a, b}))

	appendTo(t, path, whole[cut:])
	require.NoError(t, tail.poll())
	require.Empty(t, tail.missing([]string{a, b}))
}

func TestFinalTailNoSink(t *testing.T) {
	tail := newFinalTail(filepath.Join(t.TempDir(), "none.jsonl"))
	require.NoError(t, tail.poll())
	require.Equal(t, []string{"x"}, tail.missing([]string{"x"}))
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(s)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// BenchmarkCheckCompleteness reads a sink of 55 containers' numbered lines
// of 100 bytes, the shape of the default soak.
func BenchmarkCheckCompleteness(b *testing.B) {
	var buf strings.Builder
	const containers, perContainer = 55, 2000
	for i := 1; i <= perContainer; i++ {
		for c := 1; c <= containers; c++ {
			name := fmt.Sprintf("logcap-rb-%03d", c)
			line := fmt.Sprintf("%s seq=%d %s", name, i, strings.Repeat("x", 70))
			rec, _ := json.Marshal(map[string]any{
				"time": "2026-12-04T15:30:12.123456789Z", "container_id": strings.Repeat("a", 64),
				"container_name": name, "stream": "stdout", "line": line,
			})
			buf.Write(rec)
			buf.WriteByte('\n')
		}
	}
	in := buf.String()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CheckCompleteness(strings.NewReader(in), "logcap-rb-", nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(containers*perContainer)*float64(b.N)/b.Elapsed().Seconds(),
		"records/s")
}
