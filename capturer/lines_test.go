package capturer

import (
	"strings"
	"testing"
)

// msg builds a message for the joiner.
func msg(stream byte, ns int64, body string, partial bool) message {
	return message{stream: stream, ts: []byte(ts1), ns: ns, body: []byte(body), partial: partial}
}

func TestJoiner(t *testing.T) {
	p := strings.Repeat("p", pieceBytes)
	type want struct {
		stream    byte
		text      string
		truncated bool
		marks     int
	}
	tests := []struct {
		name string
		max  int
		in   []message
		want []want
	}{
		{
			name: "whole lines pass through",
			max:  100,
			in:   []message{msg(1, 1, "a", false), msg(2, 2, "b", false)},
			want: []want{{1, "a", false, 1}, {2, "b", false, 1}},
		},
		{
			name: "40,000 bytes in three pieces make one line",
			max:  1 << 20,
			in: []message{
				msg(1, 1, p, true), msg(1, 1, p, true),
				msg(1, 1, strings.Repeat("p", 40000-2*pieceBytes), false),
			},
			want: []want{{1, strings.Repeat("p", 40000), false, 3}},
		},
		{
			name: "pieces of stdout and stderr interleave",
			max:  100,
			in: []message{
				msg(1, 1, "out-", true), msg(2, 2, "err-", true),
				msg(2, 3, "end", false), msg(1, 4, "end", false),
			},
			want: []want{{2, "err-end", false, 2}, {1, "out-end", false, 2}},
		},
		{
			name: "a line beyond the cap is cut and the next one arrives",
			max:  65536,
			in: []message{
				msg(1, 1, p, true), msg(1, 1, p, true), msg(1, 1, p, true),
				msg(1, 1, p, true), msg(1, 1, strings.Repeat("p", 70000-4*pieceBytes), false),
				msg(1, 2, "next", false),
			},
			want: []want{{1, strings.Repeat("p", 65536), true, 5}, {1, "next", false, 1}},
		},
		{
			name: "a whole line beyond the cap",
			max:  3,
			in:   []message{msg(1, 1, "abcdef", false)},
			want: []want{{1, "abc", true, 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJoiner(tt.max)
			var lines []want
			for _, m := range tt.in {
				if ln, ok := j.add(m, markOf(m)); ok {
					lines = append(lines, want{ln.stream, string(ln.text), ln.truncated, len(ln.marks)})
				}
			}
			if len(lines) != len(tt.want) {
				t.Fatalf("got %d lines, want %d", len(lines), len(tt.want))
			}
			for i, w := range tt.want {
				g := lines[i]
				if g != w {
					t.Errorf("line %d = stream %d, %d bytes, truncated %v, %d marks; "+
						"want stream %d, %d bytes, truncated %v, %d marks",
						i, g.stream, len(g.text), g.truncated, g.marks,
						w.stream, len(w.text), w.truncated, w.marks)
				}
			}
		})
	}
}

func TestJoinerReset(t *testing.T) {
	j := newJoiner(100)
	j.add(msg(1, 7, "half", true), mark{})
	if got := j.oldestPending(); got != 7 {
		t.Errorf("oldestPending = %d, want 7", got)
	}
	j.reset()
	j.reset() // a reopen that failed before any message came
	if got := j.oldestPending(); got != 7 {
		t.Errorf("oldestPending after reset = %d, want 7 until a stream resends it", got)
	}
	ln, ok := j.add(msg(1, 8, "whole", false), mark{})
	if !ok || string(ln.text) != "whole" {
		t.Errorf("after reset got %q, %v; want \"whole\", true", ln.text, ok)
	}
	if got := j.oldestPending(); got != 0 {
		t.Errorf("oldestPending after the stream passed it = %d, want 0", got)
	}
}
