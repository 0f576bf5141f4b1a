package capturer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

const ts1 = "2026-12-04T15:30:12.123456789Z"
const ts2 = "2026-12-04T15:30:12.223456789Z"

// frame encodes one Docker frame.
func frame(stream byte, payload string) string {
	var hdr [8]byte
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(payload)))
	return string(hdr[:]) + payload
}

// got is a message with copied slices, for comparing.
type got struct {
	stream  byte
	ts      string
	body    string
	partial bool
}

// readAll reads messages until an error and returns both.
func readAll(r messageReader) ([]got, error) {
	var out []got
	for {
		m, err := r.next()
		if err != nil {
			return out, err
		}
		out = append(out, got{m.stream, string(m.ts), string(m.body), m.partial})
	}
}

func TestFrameReader(t *testing.T) {
	piece := strings.Repeat("a", pieceBytes)
	tests := []struct {
		name    string
		in      string
		want    []got
		wantErr error
	}{
		{
			name: "stdout and stderr",
			in:   frame(1, ts1+" hello\n") + frame(2, ts2+" oops\n"),
			want: []got{{1, ts1, "hello", false}, {2, ts2, "oops", false}},
		},
		{
			name: "piece of a long line",
			in:   frame(1, ts1+" "+piece) + frame(1, ts1+" end\n"),
			want: []got{{1, ts1, piece, true}, {1, ts1, "end", false}},
		},
		{
			name: "two lines in one frame",
			in:   frame(1, ts1+" a\n"+ts2+" b\n"),
			want: []got{{1, ts1, "a", false}, {1, ts2, "b", false}},
		},
		{
			name: "bytes that are not text",
			in:   frame(1, ts1+" \x00\xff\r\x1b[0m\n"),
			want: []got{{1, ts1, "\x00\xff\r\x1b[0m", false}},
		},
		{
			name: "empty line",
			in:   frame(1, ts1+" \n"),
			want: []got{{1, ts1, "", false}},
		},
		{
			name: "no timestamp",
			in:   frame(1, "plain text\n"),
			want: []got{{1, "", "plain text", false}},
		},
		{
			name:    "daemon error frame",
			in:      frame(1, ts1+" a\n") + frame(3, "boom\n"),
			want:    []got{{1, ts1, "a", false}},
			wantErr: errSystemFrame,
		},
		{
			name:    "not a frame header",
			in:      "2026-12-04T15:30:12Z raw text\n",
			wantErr: errBadFrame,
		},
		{
			name:    "cut inside a payload",
			in:      frame(1, ts1+" hello\n")[:12],
			wantErr: io.ErrUnexpectedEOF,
		},
		{
			name:    "cut inside a header",
			in:      frame(1, ts1+" hello\n")[:5],
			wantErr: io.ErrUnexpectedEOF,
		},
		{
			name:    "clean end",
			in:      "",
			wantErr: io.EOF,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, err := readAll(newMessageReader(strings.NewReader(tt.in), false))
			want := tt.wantErr
			if want == nil {
				want = io.EOF
			}
			if !errors.Is(err, want) {
				t.Errorf("error = %v, want %v", err, want)
			}
			assertMessages(t, msgs, tt.want)
		})
	}
}

func TestRawReader(t *testing.T) {
	piece := strings.Repeat("b", pieceBytes)
	tests := []struct {
		name string
		in   string
		want []got
	}{
		{
			name: "terminal line endings",
			in:   ts1 + " hello\r\n" + ts2 + " world\r\n",
			want: []got{{1, ts1, "hello", false}, {1, ts2, "world", false}},
		},
		{
			name: "piece then the rest",
			in:   ts1 + " " + piece + ts1 + " tail\r\n",
			want: []got{{1, ts1, piece, true}, {1, ts1, "tail", false}},
		},
		{
			name: "a line of exactly one piece",
			in:   ts1 + " " + piece + "\n" + ts2 + " next\n",
			want: []got{{1, ts1, piece, false}, {1, ts2, "next", false}},
		},
		{
			name: "garbage without a timestamp",
			in:   "no timestamp here\n" + ts2 + " next\n",
			want: []got{{1, "", "no timestamp here", false}, {1, ts2, "next", false}},
		},
		{
			name: "NUL, invalid UTF-8 and a lone CR",
			in:   ts1 + " a\x00b\xfe\rc\r\n",
			want: []got{{1, ts1, "a\x00b\xfe\rc", false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, err := readAll(newMessageReader(strings.NewReader(tt.in), true))
			if !errors.Is(err, io.EOF) {
				t.Errorf("error = %v, want EOF", err)
			}
			assertMessages(t, msgs, tt.want)
		})
	}
}

func TestRawReaderCutMessage(t *testing.T) {
	in := ts1 + " whole\n" + ts2 + " half"
	msgs, err := readAll(newMessageReader(strings.NewReader(in), true))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error = %v, want unexpected EOF", err)
	}
	assertMessages(t, msgs, []got{{1, ts1, "whole", false}})
}

func TestParseNano(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		wantOK bool
	}{
		{"1970-01-01T00:00:01.000000002Z", 1e9 + 2, true},
		{"2026-12-04T15:30:12Z", 1796398212e9, true},
		{"2026-12-04 15:30:12Z", 0, false},
		{"hello", 0, false},
	}
	for _, tt := range tests {
		ns, ok := parseNano([]byte(tt.in))
		if ns != tt.want || ok != tt.wantOK {
			t.Errorf("parseNano(%q) = %d, %v; want %d, %v", tt.in, ns, ok, tt.want, tt.wantOK)
		}
	}
}

func assertMessages(t *testing.T, gotMsgs, want []got) {
	t.Helper()
	if len(gotMsgs) != len(want) {
		t.Fatalf("got %d messages, want %d: %+v", len(gotMsgs), len(want), gotMsgs)
	}
	for i := range want {
		if gotMsgs[i] != want[i] {
			t.Errorf("message %d = %+v, want %+v", i, short(gotMsgs[i]), short(want[i]))
		}
	}
}

func short(g got) got {
	if len(g.body) > 40 {
		g.body = g.body[:20] + "..." + g.body[len(g.body)-10:]
	}
	return g
}

func FuzzMessageReader(f *testing.F) {
	f.Add([]byte(frame(1, ts1+" hello\n")), false)
	f.Add([]byte(ts1+" hi\r\n"), true)
	f.Fuzz(func(t *testing.T, in []byte, tty bool) {
		r := newMessageReader(bytes.NewReader(in), tty)
		for i := 0; ; i++ {
			if _, err := r.next(); err != nil {
				return
			}
			if i > len(in)+1 {
				t.Fatalf("more messages than input bytes: reader does not progress")
			}
		}
	})
}
