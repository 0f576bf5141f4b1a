package loadtest

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrSpawnInput marks bad input to Spawn, Churn or ParseLabels: nothing
// was done on the engine.
var ErrSpawnInput = errors.New("invalid spawn input")

// DefaultLabels are added to spawned containers unless the user sets the
// same keys.
var DefaultLabels = map[string]string{"test": "loadtest"}

// reservedPrefix starts the label keys only logcap itself may set.
const reservedPrefix = "logcap."

var runIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// ParseLabels parses "key=value" pairs. A key is non-empty, has no space
// and no "=", and does not start with "logcap."; a key may not repeat.
func ParseLabels(pairs []string) (map[string]string, error) {
	labels := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if err := checkLabel(k, v, ok); err != nil {
			return nil, fmt.Errorf("%w: label %q: %w", ErrSpawnInput, p, err)
		}
		if _, dup := labels[k]; dup {
			return nil, fmt.Errorf("%w: label %q: key given twice", ErrSpawnInput, p)
		}
		labels[k] = v
	}
	return labels, nil
}

func checkLabel(k, v string, hasEq bool) error {
	switch {
	case !hasEq:
		return errors.New("want key=value")
	case k == "":
		return errors.New("empty key")
	case strings.ContainsFunc(k, isSpaceOrControl):
		return errors.New("key has a space or control character")
	case strings.HasPrefix(k, reservedPrefix):
		return fmt.Errorf("keys starting with %q are logcap's own", reservedPrefix)
	case strings.ContainsAny(v, "\x00\n\r"):
		return errors.New("value has a NUL or line break")
	}
	return nil
}

func isSpaceOrControl(r rune) bool {
	return r <= ' ' || r == 0x7f
}

// CheckRunID fails unless id is a valid run id: 1 to 40 characters of
// [a-z0-9-], starting with a letter or digit.
func CheckRunID(id string) error {
	if !runIDPattern.MatchString(id) {
		return fmt.Errorf("%w: run id %q: want 1-40 of [a-z0-9-], not starting with -",
			ErrSpawnInput, id)
	}
	return nil
}
