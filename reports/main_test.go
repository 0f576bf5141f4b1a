package reports

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind: the scored-run
// test parks goroutines on purpose and must release them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
