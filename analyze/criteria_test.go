package analyze

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestRegisterFlags(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(Criteria) bool
		err   string
	}{
		{"defaults", nil, func(c Criteria) bool {
			return c.MaxGoroutineGrowth == 2 && c.MaxFDGrowth == 100 &&
				c.Metrics.Goroutines == "go_goroutines"
		}, ""},
		{"thresholds", []string{"--max-goroutine-growth", "0.5", "--max-fd-growth=10"},
			func(c Criteria) bool { return c.MaxGoroutineGrowth == 0.5 && c.MaxFDGrowth == 10 }, ""},
		{"disable", []string{"--disable", "pool,rotations", "--disable", "health"},
			func(c Criteria) bool {
				return slices.Equal(c.Disabled, []string{"pool", "rotations", "health"})
			}, ""},
		{"unknown criterion", []string{"--disable", "pools"}, nil, `unknown criterion "pools"`},
		{"metric name", []string{"--metric-goroutines", "app_goroutines"},
			func(c Criteria) bool { return c.Metrics.Goroutines == "app_goroutines" }, ""},
		{"memory limit", []string{"--memory-limit", "512MiB"},
			func(c Criteria) bool { return c.MemoryLimit == 512<<20 }, ""},
		{"bad memory limit", []string{"--memory-limit", "12XB"}, nil, "size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultCriteria()
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			fs.SetOutput(discard{})
			RegisterFlags(fs, &c)
			err := fs.Parse(tt.args)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || !tt.check(c) {
				t.Errorf("got %+v, err %v", c, err)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestRunCriteria(t *testing.T) {
	recorded := map[string]string{"max-goroutine-growth": "1", "--disable": "pool",
		"containers": "55", "max-fd-growth": "7"}
	keep := func(name string) bool { return name == "max-fd-growth" }
	c := DefaultCriteria()
	c.MaxFDGrowth = 50
	got, err := RunCriteria(c, recorded, keep)
	if err != nil {
		t.Fatal(err)
	}
	if got.MaxGoroutineGrowth != 1 || got.MaxFDGrowth != 50 ||
		!slices.Equal(got.Disabled, []string{"pool"}) {
		t.Errorf("got %+v", got)
	}
	if len(c.Disabled) != 0 {
		t.Errorf("RunCriteria changed its argument")
	}
	if _, err := RunCriteria(c, map[string]string{"max-fd-growth": "x"}, nil); err == nil {
		t.Errorf("a bad recorded value was accepted")
	}
}

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0", 0, true}, {"1048576", 1 << 20, true}, {"512MiB", 512 << 20, true},
		{"2GB", 2e9, true}, {"1.5 GiB", 1.5 * (1 << 30), true},
		{"", 0, false}, {"-1", 0, false}, {"12abc", 0, false}, {"NaN", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseBytes(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseBytes(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestCriteriaValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Criteria)
		want string
	}{
		{"defaults", func(*Criteria) {}, ""},
		{"negative growth", func(c *Criteria) { c.MaxGoroutineGrowth = -1 }, "max-goroutine-growth"},
		{"empty metric", func(c *Criteria) { c.Metrics.Lines = "" }, "--metric-lines is empty"},
		{"empty metric, criterion off", func(c *Criteria) {
			c.Metrics.Lines, c.Disabled = "", []string{CritLiveness}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultCriteria()
			tt.edit(&c)
			err := c.Validate()
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
