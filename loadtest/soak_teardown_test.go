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

// foreignEngine fails every create with a server error, as a create that
// may have happened unseen does, while a container of the same name exists
// without logcap's label: someone else's.
type foreignEngine struct {
	mu      sync.Mutex
	removed []string
}

func (f *foreignEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path[strings.Index(r.URL.Path[1:], "/")+1:]
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/images/"):
		_, _ = w.Write([]byte(`{"Id":"sha256:abc"}`))
	case r.Method == http.MethodPost && path == "/containers/create":
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"message":"boom"}`))
	case r.Method == http.MethodGet && strings.HasSuffix(path, "/json"):
		name := strings.TrimSuffix(strings.TrimPrefix(path, "/containers/"), "/json")
		_, _ = w.Write([]byte(`{"Id":"foreign1","Name":"/` + name +
			`","State":{"Running":true},"Config":{"Labels":{"owner":"someone-else"}}}`))
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/stop"):
		f.mu.Lock()
		f.removed = append(f.removed, "stop "+path)
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodDelete:
		f.mu.Lock()
		f.removed = append(f.removed, "delete "+path)
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

// TestSpawnFailureLeavesForeignContainer pins that undoing a failed spawn
// never stops or removes a container that merely has one of the run's
// names but not logcap's label and run id.
func TestSpawnFailureLeavesForeignContainer(t *testing.T) {
	fe := &foreignEngine{}
	srv := httptest.NewServer(fe)
	defer srv.Close()
	cli, err := client.NewClientWithOpts(
		client.WithHost("tcp://"+srv.Listener.Addr().String()), client.WithVersion("1.41"))
	require.NoError(t, err)
	defer cli.Close()

	_, err = Spawn(t.Context(), cli, SpawnOptions{
		Count: 1, RunID: "rtest-own", Image: "busy", Cmd: []string{"x"}})
	require.Error(t, err)
	fe.mu.Lock()
	defer fe.mu.Unlock()
	require.Empty(t, fe.removed)
}
