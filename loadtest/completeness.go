package loadtest

import (
	"bufio"
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
func CheckCompleteness(r io.Reader, prefix string, expected []string) (*analyze.Completeness, error) {
	seen := map[string]*seqSet{}
	for _, name := range expected {
		seen[name] = &seqSet{}
	}

	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	for n := 1; ; n++ {
		var rec sinkRecord
		err := dec.Decode(&rec)
		if errors.Is(err, io.EOF) {
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

// seqSet tracks the numbered lines of one container in a bitset.
type seqSet struct {
	bits     []uint64
	maxSeq   int64
	records  int64 // numbered lines, repeats included
	distinct int64
	finals   int64
	emitted  int64 // from the final line
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
		s.mark(seq)
		return
	}
	if n, ok := parseFinal(rest); ok {
		s.finals++
		s.emitted = n
	}
}

func (s *seqSet) mark(seq int64) {
	s.records++
	i, bit := seq/64, uint64(1)<<(seq%64)
	if int(i) >= len(s.bits) {
		s.bits = slices.Grow(s.bits, int(i)+1-len(s.bits))[:i+1]
	}
	if s.bits[i]&bit == 0 {
		s.bits[i] |= bit
		s.distinct++
	}
	s.maxSeq = max(s.maxSeq, seq)
}

// countUpTo returns how many distinct numbers from 1 to n were seen.
func (s *seqSet) countUpTo(n int64) int64 {
	var c int64
	for i, w := range s.bits {
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

func (s *seqSet) lines(name string) analyze.ContainerLines {
	emitted := s.maxSeq
	if s.finals > 0 {
		emitted = s.emitted
	}
	repeated := s.records - s.distinct + max(s.finals-1, 0)
	return analyze.ContainerLines{
		Name:      name,
		Emitted:   emitted,
		Captured:  s.distinct,
		Lost:      emitted - s.countUpTo(emitted),
		Repeated:  repeated,
		FinalSeen: s.finals > 0,
	}
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
