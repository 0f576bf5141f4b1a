package capturer

import "hash/maphash"

// maxMarks bounds the marks kept for one line; only the newest matter for
// dropping repeats, and a cut line can have any number of pieces. A line of
// more than maxMarks pieces that a reopen cuts can repeat its first pieces.
const maxMarks = 256

// line is one whole log line, joined from its pieces. Its slices are valid
// until the next call to add.
type line struct {
	stream    byte
	ts        []byte // the timestamp of the line's first piece
	text      []byte
	truncated bool   // cut at the line cap
	marks     []mark // one per message the line was made of
}

// joiner joins Docker's pieces of a long line, per stream, up to a cap.
type joiner struct {
	max   int
	one   [1]mark
	parts [4]pending // indexed by stream byte
}

// pending is a line whose last piece has not come yet.
type pending struct {
	active    bool
	ts        []byte
	ns        int64
	text      []byte
	truncated bool
	marks     []mark
	resend    int64 // first piece of a line a reset dropped, until a stream sends it again
}

func newJoiner(maxLineBytes int) *joiner {
	return &joiner{max: maxLineBytes}
}

// add takes one message and its mark, and returns a line when the message
// completes one.
func (j *joiner) add(m message, mk mark) (line, bool) {
	p := &j.parts[m.stream&3]
	if p.resend != 0 && m.ns >= p.resend {
		p.resend = 0
	}
	if !p.active && !m.partial {
		j.one[0] = mk
		text, cut := clip(m.body, j.max)
		return line{stream: m.stream, ts: m.ts, text: text, truncated: cut, marks: j.one[:]}, true
	}
	if !p.active {
		p.start(m)
	}
	p.append(m.body, j.max)
	p.addMark(mk)
	if m.partial {
		return line{}, false
	}
	p.active = false
	return line{
		stream: m.stream, ts: p.ts, text: p.text, truncated: p.truncated, marks: p.marks,
	}, true
}

// reset drops the pieces of unfinished lines: a reopened stream sends them
// again. It remembers where each began until a stream sends that piece
// again, so that a reopen that fails before it does still starts there.
func (j *joiner) reset() {
	for i := range j.parts {
		p := &j.parts[i]
		if p.active {
			p.resend = earliest(p.resend, p.ns)
		}
		p.active = false
	}
}

// oldestPending returns the timestamp of the oldest unfinished line, or 0.
func (j *joiner) oldestPending() int64 {
	var oldest int64
	for i := range j.parts {
		p := &j.parts[i]
		if p.active {
			oldest = earliest(oldest, p.ns)
		}
		oldest = earliest(oldest, p.resend)
	}
	return oldest
}

// earliest returns the smaller of two timestamps, where 0 means none.
func earliest(a, b int64) int64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

func (p *pending) start(m message) {
	p.active = true
	p.ts = append(p.ts[:0], m.ts...)
	p.ns = m.ns
	p.text = p.text[:0]
	p.truncated = false
	p.marks = p.marks[:0]
}

// append adds a piece's text, keeping at most max bytes.
func (p *pending) append(b []byte, max int) {
	room := max - len(p.text)
	if len(b) > room {
		b = b[:room]
		p.truncated = true
	}
	p.text = append(p.text, b...)
}

func (p *pending) addMark(mk mark) {
	if len(p.marks) == maxMarks {
		copy(p.marks, p.marks[1:])
		p.marks = p.marks[:maxMarks-1]
	}
	p.marks = append(p.marks, mk)
}

// clip cuts b to max bytes and says whether it had to.
func clip(b []byte, max int) ([]byte, bool) {
	if len(b) > max {
		return b[:max], true
	}
	return b, false
}

// markSeed is fixed for the process: marks never leave it.
var markSeed = maphash.MakeSeed()

// markOf identifies a message by its timestamp, stream and content.
func markOf(m message) mark {
	var h maphash.Hash
	h.SetSeed(markSeed)
	h.WriteByte(m.stream)
	h.Write(m.body)
	if m.partial {
		h.WriteByte('+')
	}
	return mark{ns: m.ns, h: h.Sum64()}
}
