// Package analyze scores a soak run: it reads checkpoints and goroutine
// profiles as plain data, estimates growth, finds the phases of the run,
// and names the stacks that grew. It knows nothing of Docker or HTTP.
//
// # Verdict rules
//
// docs/VERDICTS.md says the same at more length; the two change together.
//
// The baseline is the first checkpoint (Index 0, taken after warm-up), or
// the first after the target's last restart. Time is real elapsed time:
// elapsed_seconds, or the wall clock when elapsed was not recorded.
//
// Metrics. A metric an enabled criterion needs that never appears is an
// error naming it (ErrMissingMetric), never a zero. A counter's label set
// that first appears at a later checkpoint counts 0 at the checkpoints
// before; counter resets are undone. Goroutines, fds and health are judged
// per label set and a criterion holds only if every label set holds; lines
// and rotations are judged as totals over their label sets; active streams
// and capacity are summed.
//
// Criterion 1, goroutine growth, threshold T per minute, in order:
//
//  1. Fewer than MinCheckpoints (3) values, or less than MinDuration (5m)
//     from baseline to final: INCONCLUSIVE, too short.
//  2. The 95% interval of the Theil-Sen slope over the last third of the
//     checkpoints lies at or above T (lower bound >= T): FAIL, still
//     growing.
//  3. The whole run's interval lies at or above T, or (final - baseline)
//     per minute is T or more: FAIL; but if the last third's slope is at
//     most T/2, INCONCLUSIVE: grew, then held flat (a plateau).
//  4. The whole run's interval lies strictly below T (upper bound < T):
//     PASS, unless it is wider than MaxNoise (2) times T: INCONCLUSIVE,
//     too noisy.
//  5. Otherwise the interval reaches T: INCONCLUSIVE, too noisy.
//
// The threshold is strict: growth of exactly T per minute is not below T
// and does not pass.
//
// Criterion 2, pool saturation: active streams must equal min(containers,
// capacity), containers from RunInfo.Containers (or the containers-followed
// metric when that is 0), capacity from its metric. One checkpoint off is a
// rotation in flight (a note); two in a row, or the final one, FAIL.
//
// Criterion 3, fd growth: final - baseline at or above the threshold (100)
// is FAIL; else a too-short run (as in 1.1) is INCONCLUSIVE; else PASS.
//
// Criterion 4, health: any label set other than 1 at any checkpoint FAILs.
//
// Criterion 5, rotations: the total must be above 0 and have risen within
// the last max(a third of the run, rotate-every + interval), else FAIL, or
// INCONCLUSIVE when the run is shorter than that window.
//
// Liveness: lines captured must rise between checkpoints. Two intervals in
// a row without a new line FAIL (a frozen capturer); only the last interval
// flat is INCONCLUSIVE; one flat interval elsewhere is a note.
//
// Completeness, when the run carries it: any lost or repeated line FAILs.
//
// The run: FAIL if any enabled criterion, liveness or completeness FAILs;
// else INCONCLUSIVE if any is INCONCLUSIVE, a metric is missing, or the
// target restarted; else PASS. A criterion switched off is SKIPPED.
package analyze
