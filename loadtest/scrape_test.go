package loadtest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/stretchr/testify/require"

	"github.com/logcap/logcap/analyze"
)

// metricsServer serves text at /metrics and the real pprof handlers of the
// test process under /debug/pprof/.
func metricsServer(t *testing.T, text func() string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write([]byte(text()))
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

func newTestScraper(t *testing.T, target string) *Scraper {
	t.Helper()
	s, err := NewScraper(target, "", 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func TestScraperMetrics(t *testing.T) {
	full := fixture(t, "capturer.prom")
	tests := []struct {
		name        string
		text        string
		want        []string
		wantMissing []string
		wantValues  map[string]float64
	}{
		{
			name:       "all present",
			text:       full,
			want:       []string{"go_goroutines", "logcap_lines_total", "process_max_fds"},
			wantValues: map[string]float64{"go_goroutines": 61, "process_max_fds": 1048576},
		},
		{
			name:        "one missing",
			text:        strings.ReplaceAll(full, "go_goroutines", "go_goroutinez"),
			want:        []string{"go_goroutines", "logcap_lines_total"},
			wantMissing: []string{"go_goroutines"},
			wantValues:  map[string]float64{"logcap_lines_total": 12345},
		},
		{
			name:       "labelled gauge summed",
			text:       full,
			want:       []string{"logcap_component_healthy"},
			wantValues: map[string]float64{"logcap_component_healthy": 3},
		},
		{
			name:       "histogram count by series name",
			text:       full,
			want:       []string{"logcap_request_seconds_count"},
			wantValues: map[string]float64{"logcap_request_seconds_count": 4},
		},
		{
			name: "labelled counter not yet incremented",
			text: full + "# HELP logcap_stream_errors_total x\n" +
				"# TYPE logcap_stream_errors_total counter\n",
			want:        []string{"logcap_stream_errors_total", "go_goroutines"},
			wantMissing: []string{"logcap_stream_errors_total"},
			wantValues:  map[string]float64{"go_goroutines": 61},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := metricsServer(t, func() string { return tt.text })
			s := newTestScraper(t, srv.URL)

			got, missing, err := s.Metrics(context.Background(), tt.want)
			if tt.wantMissing == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrMissingMetric)
				for _, m := range tt.wantMissing {
					require.Contains(t, err.Error(), m, "error names the missing metric")
				}
			}
			require.Equal(t, tt.wantMissing, missing)
			for name, want := range tt.wantValues {
				v, ok := Value(got, name)
				require.True(t, ok, "%s present", name)
				require.Equal(t, want, v, "%s value", name)
			}
		})
	}
}

// TestScraperRealCapturer scrapes a /metrics page saved from `logcap run`
// for every metric the default criteria read.
func TestScraperRealCapturer(t *testing.T) {
	srv := metricsServer(t, func() string { return fixture(t, "capturer-real.prom") })
	s := newTestScraper(t, srv.URL)
	names := criteriaMetrics(analyze.DefaultCriteria())

	got, missing, err := s.Metrics(context.Background(), names)
	require.NoError(t, err)
	require.Empty(t, missing)
	require.Len(t, got, len(names))
	capacity, _ := Value(got, "logcap_stream_pool_capacity")
	require.Equal(t, 50.0, capacity)
	require.Len(t, got["logcap_component_healthy"], 3)
}

func TestScraperMetricsLabels(t *testing.T) {
	srv := metricsServer(t, func() string { return fixture(t, "capturer.prom") })
	s := newTestScraper(t, srv.URL+"/metrics")

	got, _, err := s.Metrics(context.Background(), []string{"logcap_component_healthy"})
	require.NoError(t, err)
	var comps []string
	for _, smp := range got["logcap_component_healthy"] {
		comps = append(comps, smp.Labels["component"])
		require.Len(t, smp.Labels, 1, "no __name__ label kept")
	}
	require.ElementsMatch(t, []string{"discovery", "pool", "sink"}, comps)
}

func TestScraperMetricsErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{
			name: "server error",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "boom", http.StatusInternalServerError)
			},
			want: "status 500",
		},
		{
			name: "not metrics",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte("<html>hello</html>\n"))
			},
			want: "parse",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			s := newTestScraper(t, srv.URL)

			_, _, err := s.Metrics(context.Background(), []string{"go_goroutines"})
			require.Error(t, err)
			require.False(t, errors.Is(err, ErrMissingMetric), "got %v", err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestScraperMetricsServerGone(t *testing.T) {
	srv := metricsServer(t, func() string { return "" })
	s := newTestScraper(t, srv.URL)
	srv.Close()

	_, _, err := s.Metrics(context.Background(), []string{"go_goroutines"})
	require.Error(t, err)
	require.Contains(t, err.Error(), "connection refused")
}

func TestScraperProfile(t *testing.T) {
	srv := metricsServer(t, func() string { return "" })
	s := newTestScraper(t, srv.URL)
	dir := t.TempDir()

	pb := filepath.Join(dir, "000.pb.gz")
	require.NoError(t, s.Profile(context.Background(), 0, pb))
	f, err := os.Open(pb)
	require.NoError(t, err)
	defer f.Close()
	p, err := profile.Parse(f)
	require.NoError(t, err)
	require.NotEmpty(t, p.Sample, "goroutine profile has samples")

	txt := filepath.Join(dir, "000.txt")
	require.NoError(t, s.Profile(context.Background(), 2, txt))
	b, err := os.ReadFile(txt)
	require.NoError(t, err)
	require.Contains(t, string(b), "goroutine ")
}

func TestScraperProfileMissing(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	s := newTestScraper(t, srv.URL)
	path := filepath.Join(t.TempDir(), "000.pb.gz")

	err := s.Profile(context.Background(), 0, path)
	require.ErrorContains(t, err, "status 404")
	_, statErr := os.Stat(path)
	require.True(t, errors.Is(statErr, os.ErrNotExist), "no file left behind")
}

func TestNewScraperURLs(t *testing.T) {
	tests := []struct {
		name, target, pprof   string
		wantMetrics, wantBase string
		wantErr               string
	}{
		{
			name:        "base url",
			target:      "http://127.0.0.1:8001",
			wantMetrics: "http://127.0.0.1:8001/metrics",
			wantBase:    "http://127.0.0.1:8001/debug/pprof/",
		},
		{
			name:        "metrics path kept",
			target:      "http://127.0.0.1:9100/custom/metrics",
			wantMetrics: "http://127.0.0.1:9100/custom/metrics",
			wantBase:    "http://127.0.0.1:9100/debug/pprof/",
		},
		{
			name:        "pprof elsewhere",
			target:      "http://127.0.0.1:8001/",
			pprof:       "http://127.0.0.1:6060/debug/pprof",
			wantMetrics: "http://127.0.0.1:8001/metrics",
			wantBase:    "http://127.0.0.1:6060/debug/pprof/",
		},
		{name: "no scheme", target: "127.0.0.1:8001", wantErr: "target url"},
		{name: "bad pprof", target: "http://127.0.0.1:1", pprof: "ftp://x", wantErr: "pprof url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewScraper(tt.target, tt.pprof, time.Second)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantMetrics, s.MetricsURL)
			require.Equal(t, tt.wantBase, s.PprofBase)
		})
	}
}

func TestValue(t *testing.T) {
	m := map[string][]analyze.Sample{"a": {{Value: 1}, {Value: 2}}}
	tests := []struct {
		name   string
		metric string
		want   float64
		wantOK bool
	}{
		{"sum", "a", 3, true},
		{"absent", "b", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Value(m, tt.metric)
			require.Equal(t, tt.wantOK, ok)
			require.Equal(t, tt.want, got)
		})
	}
}

// FuzzDecodeScrape: no input makes the parser panic (the zero TextParser
// of this prometheus/common would, on its unset validation scheme).
func FuzzDecodeScrape(f *testing.F) {
	f.Add("go_goroutines 61\n")
	f.Add("# TYPE x counter\nx{a=\"b\"} 1\n")
	f.Add("{\"utf8.name\"} 2\n")
	f.Fuzz(func(t *testing.T, text string) {
		hdr := http.Header{"Content-Type": []string{"text/plain; version=0.0.4"}}
		vec, err := decodeScrape(strings.NewReader(text), hdr)
		if err == nil {
			_ = byName(vec)
		}
	})
}
