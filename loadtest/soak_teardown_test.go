package loadtest

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"
	"github.com/stretchr/testify/require"
)

// fakeEngine answers the few Docker API calls of a soak's teardown for one
// container of run "rtest-td". Its first stop hangs until the caller gives
// up, as a stop on a slow engine does.
type fakeEngine struct {
	mu      sync.Mutex
	stops   int
	removed []string
}

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path[strings.Index(r.URL.Path[1:], "/")+1:] // drop /v1.41
	switch {
	case r.Method == http.MethodGet && path == "/containers/json":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"Id":"c1","Names":["/logcap-rtest-td-001"],"State":"running",` +
			`"Labels":{"logcap.managed":"true","logcap.run":"rtest-td"}}]`))
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/stop"):
		f.mu.Lock()
		f.stops++
		first := f.stops == 1
		f.mu.Unlock()
		if first {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodDelete && strings.HasPrefix(path, "/containers/"):
		f.mu.Lock()
		f.removed = append(f.removed, strings.TrimPrefix(path, "/containers/"))
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

// TestTeardownRemovesAfterSlowStop pins that a stop phase which uses up
// the teardown's time still leaves the removal its own time: the run's
// containers are removed.
func TestTeardownRemovesAfterSlowStop(t *testing.T) {
	old := teardownTimeout
	teardownTimeout = 300 * time.Millisecond
	t.Cleanup(func() { teardownTimeout = old })

	fe := &fakeEngine{}
	srv := httptest.NewServer(fe)
	defer srv.Close()
	cli, err := client.NewClientWithOpts(
		client.WithHost("tcp://"+srv.Listener.Addr().String()), client.WithVersion("1.41"))
	require.NoError(t, err)

	opts := SoakOptions{RunID: "rtest-td", Target: srv.URL, Containers: 1}
	s := &soak{opts: opts, log: slog.New(slog.DiscardHandler), dir: t.TempDir()}
	s.load = &load{cli: cli, opts: opts, log: s.log, names: []string{"logcap-rtest-td-001"}}
	s.teardown(t.Context(), true)

	require.NoError(t, s.teardownErr)
	fe.mu.Lock()
	defer fe.mu.Unlock()
	require.Equal(t, []string{"c1"}, fe.removed)
}
