package analyze

import "github.com/google/pprof/profile"

// DiffProfiles returns the goroutine stacks whose count grew from base to
// final, most growth first. Stacks are grouped by function and file:line of
// every frame, ignoring addresses, so profiles of two builds still match.
func DiffProfiles(base, final *profile.Profile) []StackGrowth {
	return nil
}
