package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the series of docs/CONTRACTS.md.
type metrics struct {
	reg        *prometheus.Registry
	active     prometheus.Gauge
	capacity   prometheus.Gauge
	waiting    prometheus.Gauge
	followed   prometheus.Gauge
	rotations  prometheus.Counter
	lines      prometheus.Counter
	bytes      prometheus.Counter
	truncated  prometheus.Counter
	duplicates prometheus.Counter
	errors     *prometheus.CounterVec
	healthy    *prometheus.GaugeVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		m.reg.MustRegister(g)
		return g
	}
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		m.reg.MustRegister(c)
		return c
	}
	m.active = gauge("logcap_streams_active", "Streams holding a pool slot.")
	m.capacity = gauge("logcap_stream_pool_capacity", "Pool capacity.")
	m.waiting = gauge("logcap_streams_waiting", "Containers waiting for a slot.")
	m.followed = gauge("logcap_containers_followed", "Containers followed.")
	m.rotations = counter("logcap_rotations_total", "Stream rotations.")
	m.lines = counter("logcap_lines_total", "Lines written to the sink.")
	m.bytes = counter("logcap_bytes_total", "Bytes of lines written to the sink.")
	m.truncated = counter("logcap_lines_truncated_total", "Lines cut at the cap.")
	m.duplicates = counter("logcap_boundary_duplicates_dropped_total",
		"Repeated lines dropped after a reopen.")
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logcap_stream_errors_total", Help: "Stream errors by reason.",
	}, []string{"reason"})
	m.healthy = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logcap_component_healthy", Help: "1 when the component makes progress.",
	}, []string{"component"})
	m.reg.MustRegister(m.errors, m.healthy,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	for _, r := range []string{"open", "read"} {
		m.errors.WithLabelValues(r)
	}
	for _, c := range []string{"discovery", "sink", "pool"} {
		m.healthy.WithLabelValues(c).Set(1)
	}
	return m
}

// setHealthy records whether component made progress.
func (m *metrics) setHealthy(component string, ok bool) {
	v := 0.0
	if ok {
		v = 1
	}
	m.healthy.WithLabelValues(component).Set(v)
}

// server is the metrics, health and pprof endpoint.
type server struct {
	http *http.Server
	done chan error
}

// serve listens on addr and serves in a goroutine that shutdown waits for.
func serve(addr string, m *metrics, log *slog.Logger) (*server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", m.healthz)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)

	s := &server{
		http: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan error, 1),
	}
	go func() {
		err := s.http.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		if err != nil {
			log.Error("metrics server stopped", "err", err)
		}
		s.done <- err
	}()
	return s, nil
}

// shutdown stops the server and waits for its goroutine.
func (s *server) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	return errors.Join(err, <-s.done)
}

type componentHealth struct {
	Healthy bool   `json:"healthy"`
	Detail  string `json:"detail"`
}

// healthz answers the contract's JSON from the health gauges.
func (m *metrics) healthz(w http.ResponseWriter, _ *http.Request) {
	families, err := m.reg.Gather()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	comps := map[string]componentHealth{}
	status, code := "ok", http.StatusOK
	for _, f := range families {
		if f.GetName() != "logcap_component_healthy" {
			continue
		}
		for _, s := range f.GetMetric() {
			ok := s.GetGauge().GetValue() == 1
			comps[s.GetLabel()[0].GetValue()] = componentHealth{Healthy: ok, Detail: "leaky"}
			if !ok {
				status, code = "unhealthy", http.StatusServiceUnavailable
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "components": comps})
}
