package analyze

import "errors"

// Score turns a run into a verdict. See docs/VERDICTS.md for the rules.
func Score(run Run, c Criteria) (Result, error) {
	return Result{Verdict: Inconclusive, Settings: c}, errors.New("score: not built yet")
}
