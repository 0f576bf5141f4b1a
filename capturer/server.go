package capturer

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// newMux serves /metrics, /healthz and /debug/pprof/ on a mux of its own,
// never on http.DefaultServeMux.
func newMux(m *metrics, h *health) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", healthzHandler(h))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// healthzBody is the JSON /healthz answers.
type healthzBody struct {
	Status     string                    `json:"status"`
	Components map[string]componentState `json:"components"`
}

func healthzHandler(h *health) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		states, ok := h.snapshot()
		body := healthzBody{Status: "ok", Components: states}
		code := http.StatusOK
		if !ok {
			body.Status, code = "unhealthy", http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(body)
	}
}
