package reports

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/logcap/logcap/analyze"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNumberJSON(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0.05, "0.05"}, {61, "61"}, {-7, "-7"}, {1e21, "1e+21"},
		{math.NaN(), "null"}, {math.Inf(1), "null"}, {math.Inf(-1), "null"},
	}
	for _, tt := range tests {
		got, err := json.Marshal(Number(tt.in))
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(got), "Number(%v)", tt.in)
	}
}

// TestSummaryNotFinite checks a result with figures that are not numbers
// still encodes, where plain float64 fields would make json fail.
func TestSummaryNotFinite(t *testing.T) {
	run, res := inconclusiveFixture()
	res.Growth.Goroutines.Slope = math.NaN()
	res.Growth.Goroutines.SlopeHigh = math.Inf(1)
	b, err := marshalSummary(Summary(run, res))
	require.NoError(t, err)
	var back struct {
		Goroutines struct {
			Slope *float64 `json:"slope_per_minute"`
		} `json:"goroutines"`
	}
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Nil(t, back.Goroutines.Slope)
}

func TestSummaryEmptyListsAreArrays(t *testing.T) {
	b, err := marshalSummary(Summary(analyze.Run{}, analyze.Result{}))
	require.NoError(t, err)
	for _, key := range []string{"reasons", "criteria", "phases", "stacks", "blocked",
		"restarts", "notes"} {
		assert.Contains(t, string(b), `"`+key+`": []`, "%s must be [] not null", key)
	}
}

// TestMarkdownEmptyResult renders a run with nothing in it: no panic, and the
// report still says what is missing.
func TestMarkdownEmptyResult(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Markdown(&b, analyze.Run{}, analyze.Result{}))
	assert.Contains(t, b.String(), "## Verdict: **UNSCORED**")
	assert.Contains(t, b.String(), "No checkpoint was recorded.")
}
