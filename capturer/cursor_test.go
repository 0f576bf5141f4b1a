package capturer

import (
	"testing"
	"time"
)

func TestCursorSince(t *testing.T) {
	const s = int64(time.Second)
	tests := []struct {
		name      string
		delivered []int64
		pending   int64
		want      int64
	}{
		{"nothing delivered: the whole log", nil, 0, 0},
		{"nothing delivered, a line pending", nil, 5 * s, 5 * s},
		{"one lookback before the newest", []int64{10 * s, 20 * s}, 0, 19 * s},
		{"a pending line reaches further back", []int64{20 * s}, 15 * s, 15 * s},
		{"never before the first timestamp dropped from memory",
			ringTimes(ringSize+10, 20*s), 0, 20*s + 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c cursor
			for _, ns := range tt.delivered {
				c.delivered([]mark{{ns: ns, h: uint64(ns)}})
			}
			if got := c.since(tt.pending); got != tt.want {
				t.Errorf("since = %d, want %d", got, tt.want)
			}
		})
	}
}

// ringTimes returns n timestamps 1ns apart starting at from.
func ringTimes(n int, from int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = from + int64(i)
	}
	return out
}

func TestCursorRepeat(t *testing.T) {
	a := mark{ns: 100, h: 1}
	b := mark{ns: 100, h: 2} // same nanosecond, other content
	c := mark{ns: 200, h: 3}
	tests := []struct {
		name      string
		delivered []mark
		reread    []mark
		want      []bool
	}{
		{"the boundary line repeats", []mark{a}, []mark{a, c}, []bool{true, false}},
		{"same timestamp, new content", []mark{a}, []mark{a, b}, []bool{true, false}},
		{"two identical messages delivered twice", []mark{a, a}, []mark{a, a, a},
			[]bool{true, true, false}},
		{"past the window nothing repeats", []mark{a}, []mark{{ns: 100 + int64(lookback) + 1, h: 9}, a},
			[]bool{false, false}},
		{"no timestamp never repeats", []mark{{h: 5}}, []mark{{h: 5}}, []bool{false}},
		{"nothing delivered", nil, []mark{a}, []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cur cursor
			cur.delivered(tt.delivered)
			cur.reopen()
			for i, mk := range tt.reread {
				if got := cur.repeat(mk); got != tt.want[i] {
					t.Errorf("repeat(message %d) = %v, want %v", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestSinceParam(t *testing.T) {
	tests := []struct {
		ns   int64
		want string
	}{
		{0, ""},
		{1796398212000000001, "1796398212.000000001"},
		{1796398212123456789, "1796398212.123456789"},
	}
	for _, tt := range tests {
		if got := sinceParam(tt.ns); got != tt.want {
			t.Errorf("sinceParam(%d) = %q, want %q", tt.ns, got, tt.want)
		}
	}
}
