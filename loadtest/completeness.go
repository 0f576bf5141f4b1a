package loadtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/logcap/logcap/analyze"
)

// maxSeq bounds the sequence numbers the completeness check tracks, so a
// garbled number cannot make it allocate without limit (2^32 lines is
// over a year at 100 lines a second).
const maxSeq = 1 << 32

// sinkRecord is the part of a sink record (docs/CONTRACTS.md) the
// completeness check reads.
type sinkRecord struct {
	ContainerName string `json:"container_name"`
	Line          string `json:"line"`
}

// CheckCompletenessFile is CheckCompleteness on the sink file at path.
func CheckCompletenessFile(path, prefix string, expected []string) (*analyze.Completeness, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open sink: %w", err)
	}
	defer f.Close()
	return CheckCompleteness(f, prefix, expected)
}

// CheckCompleteness reads sink records (one JSON object a line) and tells,
// for every container whose name starts with prefix, whether each
// numbered line from 1 to the count it emitted arrived exactly once.
// Containers in expected are listed even when none of their lines
// arrived. Records of other containers are ignored.
func CheckCompleteness(r io.Reader, prefix string, expected []string) (
	*analyze.Completeness, error) {
	seen := map[string]*seqSet{}
	for _, name := range expected {
		seen[name] = &seqSet{}
	}

	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	for n := 1; ; n++ {
		var rec sinkRecord
		err := dec.Decode(&rec)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			// A record cut off at the very end (a capturer killed in
			// the middle of a write) was not captured: its line counts
			// as lost, and the rest of the check stands.
			break
		}
		if err != nil {
			return nil, fmt.Errorf("sink record %d: %w", n, err)
		}
		if !strings.HasPrefix(rec.ContainerName, prefix) {
			continue
		}
		set := seen[rec.ContainerName]
		if set == nil {
			set = &seqSet{}
			seen[rec.ContainerName] = set
		}
		set.add(rec.ContainerName, rec.Line)
	}
	return summarize(seen), nil
}

func summarize(seen map[string]*seqSet) *analyze.Completeness {
	c := &analyze.Completeness{Containers: make([]analyze.ContainerLines, 0, len(seen))}
	for name, set := range seen {
		c.Containers = append(c.Containers, set.lines(name))
	}
	slices.SortFunc(c.Containers, func(a, b analyze.ContainerLines) int {
		return strings.Compare(a.Name, b.Name)
	})
	return c
}

// seqSet tracks the numbered lines of one container. A container
// restarted in place runs a new emitter that counts from 1 again, after
// the old one wrote its final line: each run of the emitter is an epoch,
// and the container's figures add up its epochs.
type seqSet struct {
	sum       analyze.ContainerLines // closed epochs
	cur       epoch
	lastFinal int64 // count in the last final line, -1 before any
	hasFinal  bool
}

// epoch is one emitter process: its numbered lines in a bitset.
type epoch struct {
	bits     []uint64
	maxSeq   int64
	records  int64 // numbered lines, repeats included
	distinct int64
}

// add reads one captured line of the container named name. A line that
// does not follow the emitter's format is not counted, since it cannot be
// told from lines another program wrote in the same container.
func (s *seqSet) add(name, line string) {
	rest, ok := strings.CutPrefix(line, name+" ")
	if !ok {
		return
	}
	if seq, ok := parseSeq(rest); ok {
		s.cur.mark(seq)
		return
	}
	if n, ok := parseFinal(rest); ok {
		s.final(n)
	}
}

// final closes the current epoch with the count its emitter reported. A
// final line again, with nothing since or only numbers of the closed epoch
// above 1 (its tail replayed by a reopened stream), is a repeat: a new
// emitter counts from 1. A new epoch that lost its line 1 and emitted
// exactly as many lines as the last is taken for a replay too.
func (s *seqSet) final(n int64) {
	if s.replayed(n) {
		s.sum.Repeated += s.cur.records + 1
		s.cur = epoch{}
		return
	}
	s.close(n)
	s.hasFinal, s.lastFinal = true, n
}

// replayed reports whether the current epoch, ended by a final count of
// n, is the closed epoch's tail again rather than a new emitter's lines.
func (s *seqSet) replayed(n int64) bool {
	return s.hasFinal && n == s.lastFinal && s.cur.maxSeq <= n && !s.cur.has(1)
}

// close adds the current epoch, which emitted n lines, to the sum.
func (s *seqSet) close(n int64) {
	e := &s.cur
	s.sum.Emitted += n
	s.sum.Captured += e.distinct
	s.sum.Lost += n - e.countUpTo(n)
	s.sum.Repeated += e.records - e.distinct
	s.cur = epoch{}
}

func (e *epoch) mark(seq int64) {
	e.records++
	i, bit := seq/64, uint64(1)<<(seq%64)
	if int(i) >= len(e.bits) {
		e.bits = slices.Grow(e.bits, int(i)+1-len(e.bits))[:i+1]
	}
	if e.bits[i]&bit == 0 {
		e.bits[i] |= bit
		e.distinct++
	}
	e.maxSeq = max(e.maxSeq, seq)
}

// has reports whether seq was seen.
func (e *epoch) has(seq int64) bool {
	i := seq / 64
	return int(i) < len(e.bits) && e.bits[i]&(uint64(1)<<(seq%64)) != 0
}

// countUpTo returns how many distinct numbers from 1 to n were seen.
func (e *epoch) countUpTo(n int64) int64 {
	var c int64
	for i, w := range e.bits {
		lo := int64(i) * 64
		if lo > n {
			break
		}
		if lo+63 > n {
			w &= (uint64(1) << (n - lo + 1)) - 1
		}
		c += int64(bits.OnesCount64(w))
	}
	return c
}

// lines returns the container's figures. An epoch still open (no final
// line captured) counts up to the highest number seen, so lines lost at
// its very end go unnoticed; one that only replays the closed epoch's
// tail is repeats.
func (s *seqSet) lines(name string) analyze.ContainerLines {
	out := s.sum
	out.Name = name
	out.FinalSeen = s.hasFinal && s.cur.records == 0
	if s.cur.records > 0 && s.replayed(s.lastFinal) {
		out.Repeated += s.cur.records
		out.FinalSeen = true
		return out
	}
	if s.cur.records > 0 {
		open := *s
		open.close(s.cur.maxSeq)
		out.Emitted, out.Captured = open.sum.Emitted, open.sum.Captured
		out.Lost, out.Repeated = open.sum.Lost, open.sum.Repeated
	}
	return out
}

// parseSeq reads "seq=<n> ..." with n from 1 up to maxSeq.
func parseSeq(rest string) (int64, bool) {
	num, ok := strings.CutPrefix(rest, "seq=")
	if !ok {
		return 0, false
	}
	if i := strings.IndexByte(num, ' '); i >= 0 {
		num = num[:i]
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 || n >= maxSeq {
		return 0, false
	}
	return n, true
}

// parseFinal reads "final emitted=<n>".
func parseFinal(rest string) (int64, bool) {
	num, ok := strings.CutPrefix(rest, "final emitted=")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// finalTail follows a sink file as it grows, from an offset, and collects
// the containers whose final line ("<name> final emitted=<n>") arrived.
type finalTail struct {
	path string
	off  int64
	rest []byte // a line not yet ended
	seen map[string]bool
}

func newFinalTail(path string) *finalTail {
	t := &finalTail{path: path, seen: map[string]bool{}}
	if fi, err := os.Stat(path); err == nil {
		t.off = fi.Size()
	}
	return t
}

var finalMark = []byte(" final emitted=")

// poll reads what was appended since the last poll. A sink that does not
// exist yet holds no final line.
func (t *finalTail) poll() error {
	f, err := os.Open(t.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open sink: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(t.off, io.SeekStart); err != nil {
		return fmt.Errorf("seek sink: %w", err)
	}
	buf, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("read sink: %w", err)
	}
	t.off += int64(len(buf))

	data := append(t.rest, buf...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		t.line(data[:i])
		data = data[i+1:]
	}
	t.rest = slices.Clone(data)
	return nil
}

func (t *finalTail) line(b []byte) {
	if !bytes.Contains(b, finalMark) {
		return
	}
	var rec sinkRecord
	if json.Unmarshal(b, &rec) != nil {
		return
	}
	rest, ok := strings.CutPrefix(rec.Line, rec.ContainerName+" ")
	if _, final := parseFinal(rest); ok && final {
		t.seen[rec.ContainerName] = true
	}
}

// missing returns the names whose final line has not arrived.
func (t *finalTail) missing(names []string) []string {
	var out []string
	for _, n := range names {
		if !t.seen[n] {
			out = append(out, n)
		}
	}
	return out
}
