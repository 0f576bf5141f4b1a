package loadtest

import (
	"errors"
	"maps"
	"testing"
)

func TestParseLabels(t *testing.T) {
	tests := []struct {
		name  string
		pairs []string
		want  map[string]string
	}{
		{"none", nil, map[string]string{}},
		{"one", []string{"team=core"}, map[string]string{"team": "core"}},
		{"empty value", []string{"flag="}, map[string]string{"flag": ""}},
		{"value with =", []string{"q=a=b"}, map[string]string{"q": "a=b"}},
		{"dotted key", []string{"com.example.x=1", "y=2"},
			map[string]string{"com.example.x": "1", "y": "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLabels(tt.pairs)
			if err != nil || !maps.Equal(got, tt.want) {
				t.Errorf("ParseLabels(%q) = %v, %v; want %v, nil", tt.pairs, got, err, tt.want)
			}
		})
	}
}

func TestParseLabelsRejects(t *testing.T) {
	tests := []struct {
		name  string
		pairs []string
	}{
		{"no equals", []string{"team"}},
		{"empty key", []string{"=x"}},
		{"space in key", []string{"my key=x"}},
		{"reserved managed", []string{"logcap.managed=false"}},
		{"reserved run", []string{"logcap.run=other"}},
		{"newline in value", []string{"k=a\nb"}},
		{"duplicate key", []string{"k=1", "k=2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLabels(tt.pairs)
			if !errors.Is(err, ErrSpawnInput) {
				t.Errorf("ParseLabels(%q) = %v, %v; want ErrSpawnInput", tt.pairs, got, err)
			}
		})
	}
}

func TestCheckRunID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"r20261204-153012-ab12", true},
		{"a", true},
		{"", false},
		{"-abc", false},
		{"Upper", false},
		{"has_underscore", false},
		{"x1234567890123456789012345678901234567890", false},
	}
	for _, tt := range tests {
		err := CheckRunID(tt.id)
		if got := err == nil; got != tt.ok {
			t.Errorf("CheckRunID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
		}
	}
}

func FuzzParseLabels(f *testing.F) {
	f.Add("k=v")
	f.Add("=")
	f.Add("logcap.x=1")
	f.Fuzz(func(t *testing.T, pair string) {
		labels, err := ParseLabels([]string{pair})
		if err != nil {
			return
		}
		for k, v := range labels {
			if err := checkLabel(k, v, true); err != nil {
				t.Errorf("accepted %q but its key/value fail: %v", pair, err)
			}
		}
	})
}

func TestSpawnErrorGroupsReasons(t *testing.T) {
	failed := map[string]error{}
	for i := 1; i <= 7; i++ {
		failed[ContainerName("r", i)] = errors.New("create: no memory")
	}
	failed["logcap-r-009"] = errors.New("start: denied")
	err := &SpawnError{Failed: failed, Total: 10}

	want := "8 of 10 containers failed to start: " +
		"logcap-r-001, logcap-r-002, logcap-r-003, logcap-r-004, logcap-r-005 and 2 more: " +
		"create: no memory; logcap-r-009: start: denied"
	if got := err.Error(); got != want {
		t.Errorf("Error() =\n%q\nwant\n%q", got, want)
	}
}
