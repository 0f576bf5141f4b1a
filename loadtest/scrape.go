package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/logcap/logcap/analyze"
)

// ErrMissingMetric marks a scrape that lacked metric families the criteria
// read. The scrape's other families are still returned with it.
var ErrMissingMetric = errors.New("metric missing from scrape")

// scrapeAccept asks for the classic text format, which every Go service
// with client_golang serves.
const scrapeAccept = "text/plain;version=0.0.4;q=1,*/*;q=0.1"

// maxScrapeBytes bounds a /metrics response read into memory.
const maxScrapeBytes = 64 << 20

// Scraper fetches one target's /metrics and goroutine profiles over HTTP.
type Scraper struct {
	// MetricsURL is the full URL of the target's /metrics.
	MetricsURL string
	// PprofBase is the URL of the pprof index, ending in a slash, such as
	// http://127.0.0.1:8001/debug/pprof/.
	PprofBase string
	// Client makes every request; its Timeout bounds each one.
	Client *http.Client
}

// NewScraper returns a Scraper for target, which is either a base URL
// (http://127.0.0.1:8001) or the URL of /metrics itself. pprof, when not
// empty, overrides the default pprof base of target + /debug/pprof/.
func NewScraper(target, pprof string, timeout time.Duration) (*Scraper, error) {
	metrics, base, err := MetricsURL(target)
	if err != nil {
		return nil, err
	}
	if pprof == "" {
		pprof = base + "/debug/pprof/"
	}
	if _, err := parseHTTPURL(pprof); err != nil {
		return nil, fmt.Errorf("pprof url: %w", err)
	}
	if !strings.HasSuffix(pprof, "/") {
		pprof += "/"
	}
	return &Scraper{
		MetricsURL: metrics,
		PprofBase:  pprof,
		Client:     &http.Client{Timeout: timeout},
	}, nil
}

// MetricsURL returns the /metrics URL of target and its base (scheme and
// host). A target without a path means its /metrics.
func MetricsURL(target string) (metrics, base string, err error) {
	u, err := parseHTTPURL(target)
	if err != nil {
		return "", "", fmt.Errorf("target url: %w", err)
	}
	base = u.Scheme + "://" + u.Host
	if u.Path == "" || u.Path == "/" {
		u.Path = "/metrics"
	}
	return u.String(), base, nil
}

func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%q: want http://host:port[/path]", s)
	}
	return u, nil
}

// Metrics scrapes /metrics and keeps the series named in names. When some
// are absent it returns the others together with an error wrapping
// ErrMissingMetric that names the absent ones; missing lists them too.
func (s *Scraper) Metrics(ctx context.Context, names []string) (
	got map[string][]analyze.Sample, missing []string, err error) {
	all, err := s.fetchSamples(ctx)
	if err != nil {
		return nil, nil, err
	}

	got = make(map[string][]analyze.Sample, len(names))
	for _, name := range sortedNames(names) {
		ss, ok := all[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		got[name] = ss
	}
	if len(missing) > 0 {
		err = fmt.Errorf("%w: %s", ErrMissingMetric, strings.Join(missing, ", "))
	}
	return got, missing, err
}

// fetchSamples GETs /metrics and parses it with expfmt into samples by
// series name.
func (s *Scraper) fetchSamples(ctx context.Context) (map[string][]analyze.Sample, error) {
	body, hdr, err := s.get(ctx, s.MetricsURL, scrapeAccept)
	if err != nil {
		return nil, err
	}
	defer body.Close()

	vec, err := decodeScrape(io.LimitReader(body, maxScrapeBytes), hdr)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", s.MetricsURL, err)
	}
	return byName(vec), nil
}

// decodeScrape parses a scrape in the format its Content-Type names. The
// classic text format goes through a TextParser built with an explicit
// validation scheme: the zero TextParser of this prometheus/common panics
// on its unset scheme, and the global model.NameValidationScheme is
// deprecated, so neither is relied on.
func decodeScrape(r io.Reader, hdr http.Header) (model.Vector, error) {
	opts := &expfmt.DecodeOptions{Timestamp: model.Now()}
	format := expfmt.ResponseFormat(hdr)
	if t := format.FormatType(); t == expfmt.TypeTextPlain || t == expfmt.TypeUnknown {
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(r)
		if err != nil {
			return nil, err
		}
		var vec model.Vector
		for _, fam := range fams {
			v, err := expfmt.ExtractSamples(opts, fam)
			if err != nil {
				return nil, err
			}
			vec = append(vec, v...)
		}
		return vec, nil
	}

	dec := &expfmt.SampleDecoder{Dec: expfmt.NewDecoder(r, format), Opts: opts}
	var vec model.Vector
	for {
		var v model.Vector
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return vec, nil
		}
		if err != nil {
			return nil, err
		}
		vec = append(vec, v...)
	}
}

// byName groups samples by series name (a histogram's _bucket, _sum and
// _count are three names), dropping the name label.
func byName(vec model.Vector) map[string][]analyze.Sample {
	out := map[string][]analyze.Sample{}
	for _, s := range vec {
		name := string(s.Metric[model.MetricNameLabel])
		var l map[string]string
		if len(s.Metric) > 1 {
			l = make(map[string]string, len(s.Metric)-1)
			for k, v := range s.Metric {
				if k != model.MetricNameLabel {
					l[string(k)] = string(v)
				}
			}
		}
		out[name] = append(out[name], analyze.Sample{Labels: l, Value: float64(s.Value)})
	}
	return out
}

// Profile fetches the goroutine profile at the given debug level (0 for
// the gzipped protobuf, 2 for the full text dump) into path.
func (s *Scraper) Profile(ctx context.Context, debug int, path string) error {
	u := fmt.Sprintf("%sgoroutine?debug=%d", s.PprofBase, debug)
	body, _, err := s.get(ctx, u, "")
	if err != nil {
		return err
	}
	defer body.Close()

	return writeFile(path, body)
}

// writeFile copies r into a new file at path, synced, and removes the file
// if the copy fails.
func writeFile(path string, r io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// get issues a GET and returns the body of a 200 response; the caller
// closes it.
func (s *Scraper) get(ctx context.Context, u, accept string) (io.ReadCloser, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("request %s: %w", u, err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("get %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		return nil, nil, fmt.Errorf("get %s: status %s", u, resp.Status)
	}
	return resp.Body, resp.Header, nil
}

// Value sums the samples of a family, or returns false when the family is
// absent. It reads a scrape the way the live line and the settle loop
// need, not the way the criteria do.
func Value(metrics map[string][]analyze.Sample, name string) (float64, bool) {
	ss, ok := metrics[name]
	if !ok {
		return 0, false
	}
	var sum float64
	for _, s := range ss {
		sum += s.Value
	}
	return sum, true
}

// sortedNames returns names sorted and without duplicates.
func sortedNames(names []string) []string {
	out := slices.Clone(names)
	slices.Sort(out)
	return slices.Compact(out)
}

// Close drops the scraper's idle connections.
func (s *Scraper) Close() { s.Client.CloseIdleConnections() }
