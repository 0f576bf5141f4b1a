package analyze

import (
	"os"
	"path/filepath"
	"time"
)

// maxStacks caps the growing stacks a Result carries.
const maxStacks = 100

// attributeLeaks diffs the goroutine profiles of the checkpoints scored for
// growth and groups the blocked goroutines of the last dump.
func (s *scorer) attributeLeaks() {
	s.diffStacks()
	s.blockedGoroutines()
}

// diffStacks ranks the stacks that grew from the first readable profile to
// the last, with their counts at every checkpoint in between.
func (s *scorer) diffStacks() {
	var counts []map[string]*stackCount
	var idx []int
	var paths []string
	for _, cp := range s.cps[s.from:] {
		if cp.Profile == "" {
			continue
		}
		p, err := ReadGoroutines(filepath.Join(s.run.Dir, cp.Profile))
		if err != nil {
			s.note("checkpoint %d: %v", cp.Index, err)
			continue
		}
		counts = append(counts, stackCounts(p))
		idx = append(idx, cp.Index)
		paths = append(paths, cp.Profile)
	}
	if len(counts) < 2 {
		s.note("fewer than two goroutine profiles could be read: no stack diff")
		return
	}
	stacks := diffCounts(counts[0], counts[len(counts)-1])
	if len(stacks) > maxStacks {
		s.note("%d stacks grew; the %d that grew most are listed", len(stacks), maxStacks)
		stacks = stacks[:maxStacks]
	}
	for k := range stacks {
		key := stackKey(stacks[k].Stack)
		stacks[k].Checkpoints = idx
		stacks[k].Counts = make([]int64, len(counts))
		for i, m := range counts {
			if sc := m[key]; sc != nil {
				stacks[k].Counts[i] = sc.count
			}
		}
	}
	s.res.Stacks = stacks
	s.res.BaseProfile, s.res.FinalProfile = paths[0], paths[len(paths)-1]
}

// blockedGoroutines groups the goroutines of the last dump blocked at least
// the threshold: Criteria.BlockedAfter, else the run's rotation interval,
// else five minutes.
func (s *scorer) blockedGoroutines() {
	var dumps []string
	for _, cp := range s.cps {
		if cp.Dump != "" {
			dumps = append(dumps, cp.Dump)
		}
	}
	if len(dumps) == 0 {
		return
	}
	final, err := readDump(filepath.Join(s.run.Dir, dumps[len(dumps)-1]))
	if err != nil {
		s.note("%v", err)
		return
	}
	var base *Dump
	if len(dumps) > 1 {
		if b, err := readDump(filepath.Join(s.run.Dir, dumps[0])); err == nil {
			base = &b
		} else {
			s.note("%v", err)
		}
	}
	after := s.c.BlockedAfter
	if after <= 0 {
		after = s.run.Info.RotateEvery
	}
	if after <= 0 {
		after = 5 * time.Minute
	}
	s.res.Blocked = BlockedGroups(base, final, after)
	s.res.Dump = dumps[len(dumps)-1]
}

func readDump(path string) (Dump, error) {
	f, err := os.Open(path)
	if err != nil {
		return Dump{}, err
	}
	defer f.Close()
	d, err := ParseDump(f)
	if err != nil {
		return Dump{}, &pathError{path, err}
	}
	return d, nil
}

type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

// stackKey is the map key stackCounts uses for frames.
func stackKey(frames []Frame) string {
	return string(appendStackKey(nil, frames))
}
