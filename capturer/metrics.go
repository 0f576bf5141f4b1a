package capturer

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Reasons a stream error is counted under.
const (
	reasonOpen    = "open"    // ContainerLogs failed
	reasonRead    = "read"    // the stream broke while reading
	reasonEnded   = "ended"   // the stream ended while the container runs
	reasonInspect = "inspect" // ContainerInspect failed
	reasonFrame   = "frame"   // a frame Docker could not have sent, or a daemon error
	reasonSink    = "sink"    // the output refused a write, or the sink closed
)

var reasons = []string{
	reasonOpen, reasonRead, reasonEnded, reasonInspect, reasonFrame, reasonSink,
}

// metrics are the capturer's Prometheus series. None carries a
// per-container label: with container churn that would grow without bound.
type metrics struct {
	reg          *prometheus.Registry
	open         prometheus.Gauge
	capacity     prometheus.Gauge
	followed     prometheus.Gauge
	rotations    prometheus.Counter
	lines        prometheus.Counter
	bytes        prometheus.Counter
	truncated    prometheus.Counter
	duplicates   prometheus.Counter
	streamErrors *prometheus.CounterVec
}

func newMetrics(p *pool, h *health) *metrics {
	m := &metrics{
		reg:       prometheus.NewRegistry(),
		open:      gauge("logcap_streams_open", "Log requests open to the daemon now."),
		capacity:  gauge("logcap_stream_pool_capacity", "Slots in the stream pool."),
		followed:  gauge("logcap_containers_followed", "Containers with a follower."),
		rotations: counter("logcap_rotations_total", "Streams closed and reopened on schedule."),
		lines:     counter("logcap_lines_total", "Lines written to the sink."),
		bytes: counter("logcap_bytes_total",
			"Bytes of line text the sink accepted into its buffer."),
		truncated: counter("logcap_lines_truncated_total", "Lines cut at --max-line-bytes."),
		duplicates: counter("logcap_boundary_duplicates_dropped_total",
			"Messages repeated after a reopen and dropped."),
		streamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logcap_stream_errors_total",
			Help: "Log stream errors by reason.",
		}, []string{"reason"}),
	}
	for _, r := range reasons {
		m.streamErrors.WithLabelValues(r)
	}
	// Active streams are the slots held, so a stream between its rotation
	// and its reopen (a few milliseconds) still counts: the pool criterion
	// asks whether the pool is used to capacity, not whether a scrape fell
	// inside a reopen. A stream in backoff after an error holds its slot
	// too; logcap_streams_open tells it apart.
	active := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "logcap_streams_active",
		Help: "Log streams holding a slot in the stream pool.",
	}, func() float64 { return float64(p.held()) })
	waiting := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "logcap_streams_waiting",
		Help: "Containers waiting for a slot in the stream pool.",
	}, func() float64 { return float64(p.waiting()) })

	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		active, m.open, m.capacity, m.followed, m.rotations, m.lines, m.bytes,
		m.truncated, m.duplicates, m.streamErrors, waiting, healthCollector{h},
	)
	return m
}

func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
}

func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
}

var healthDesc = prometheus.NewDesc("logcap_component_healthy",
	"1 when the component makes progress, 0 when it cannot.", []string{"component"}, nil)

// healthCollector reads component health at scrape time.
type healthCollector struct{ h *health }

func (c healthCollector) Describe(ch chan<- *prometheus.Desc) { ch <- healthDesc }

func (c healthCollector) Collect(ch chan<- prometheus.Metric) {
	states, _ := c.h.snapshot()
	for name, s := range states {
		v := 0.0
		if s.Healthy {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(healthDesc, prometheus.GaugeValue, v, name)
	}
}

// countSink lets s count the lines its output took and the writes it
// refused: lines are counted when written, so a stuck sink shows flat.
func (m *metrics) countSink(s *sink) {
	s.lines = m.lines
	s.failures = m.streamErrors.WithLabelValues(reasonSink)
}
