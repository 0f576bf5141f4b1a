package reports

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestNum(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {58, "58"}, {-3, "-3"}, {0.05, "0.05"}, {0.0449, "0.0449"},
		{2.666, "2.67"}, {12.34, "12.3"}, {453.6, "454"}, {1e-7, "0.0000001"},
		{-0.0001, "-0.0001"}, {math.NaN(), "n/a"}, {math.Inf(1), "∞"},
		{-2.45e-14, "0"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, num(tt.in), "num(%v)", tt.in)
	}
}

func TestBig(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{999, "999"}, {1024, "1,024"}, {10000, "10,000"}, {1980000, "1,980,000"},
		{-123456, "-123,456"}, {12345.5, "12346"}, {0.5, "0.5"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, big(tt.in), "big(%v)", tt.in)
	}
}

func TestSpan(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"}, {40 * time.Second, "40s"}, {5 * time.Minute, "5m"},
		{90 * time.Second, "1m30s"}, {time.Hour, "1h00m"},
		{7*time.Hour + 17*time.Minute, "7h17m"}, {85 * time.Hour, "3.5 days"},
		{100 * 365 * 24 * time.Hour, "100 years"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, span(tt.in), "span(%v)", tt.in)
	}
}

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"--containers", "--containers"},
		{"http://127.0.0.1:8001", "http://127.0.0.1:8001"},
		{"team=logs & infra", "'team=logs & infra'"},
		{"it's", `'it'\''s'`},
		{"", "''"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, shellQuote(tt.in), "shellQuote(%q)", tt.in)
	}
}
