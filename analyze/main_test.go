package analyze

import (
	"flag"
	"testing"

	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the profiles and dumps in testdata")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
