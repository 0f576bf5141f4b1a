// Package capturer follows the logs of Docker containers and writes every
// line, exactly once, to a sink. Discovery finds containers, a fair stream
// pool bounds how many streams are open, one follower per container keeps
// its stream going across rotations and restarts, and a small HTTP server
// exposes metrics, health and pprof.
package capturer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Config is what a capturer needs. Zero values take the defaults of
// `logcap run`.
type Config struct {
	Engine        Engine        // the shared Docker client
	Output        io.Writer     // where JSON lines go
	Listen        string        // address of /metrics, /healthz, /debug/pprof/; "" for none
	Filter        Filter        // which containers to capture
	MaxStreams    int           // pool capacity; default 50
	RotateEvery   time.Duration // reopen each stream this often; default 5m
	FlushInterval time.Duration // flush the sink this often; default 1s
	MaxLineBytes  int           // cut lines longer than this; default 256 KiB
	BackoffBase   time.Duration // first reopen delay after an error; default 250ms
	BackoffMax    time.Duration // cap of reopen delays; default 30s
	Logger        *slog.Logger  // default: discard

	// Listener, when set, serves instead of binding Listen: a caller binds
	// it before opening Output, so a busy port creates no file. Run closes it.
	Listener net.Listener
}

// Defaults of Config.
const (
	DefaultMaxStreams    = 50
	DefaultRotateEvery   = 5 * time.Minute
	DefaultFlushInterval = time.Second
	DefaultMaxLineBytes  = 256 * 1024
)

// Capturer runs discovery, followers, the sink and the metrics server.
// Every goroutine it starts ends before Run returns.
type Capturer struct {
	cfg    Config
	deps   *deps
	health *health
	ln     net.Listener
	sink   *sink

	mu      sync.Mutex
	tracked map[string]*tracked
	runCtx  context.Context
	wg      sync.WaitGroup // followers
}

// tracked is a container the capturer knows. Its follower, with the
// cursor, outlives the follower's goroutine: a stopped container keeps it
// for a restart.
type tracked struct {
	f      *follower
	alive  bool               // a goroutine runs f
	wake   bool               // a start came while it ran
	gone   bool               // the container was removed
	cancel context.CancelFunc // cuts the follower's waits short
}

// New checks cfg and binds the metrics listener, so that a busy port is
// an error before anything runs.
func New(cfg Config) (*Capturer, error) {
	cfg = withDefaults(cfg)
	if cfg.Engine == nil || cfg.Output == nil {
		return nil, errors.New("capturer: an engine and an output are required")
	}
	c := &Capturer{cfg: cfg, health: newHealth(), tracked: map[string]*tracked{}}
	p := newPool(cfg.MaxStreams)
	met := newMetrics(p, c.health)
	met.capacity.Set(float64(cfg.MaxStreams))
	c.sink = newSink(cfg.Output, cfg.FlushInterval, c.health, cfg.Logger)
	met.countSink(c.sink)
	c.deps = &deps{
		eng: cfg.Engine, pool: p, sink: c.sink, met: met, log: cfg.Logger,
		rotate: cfg.RotateEvery, maxLine: cfg.MaxLineBytes,
		backBase: cfg.BackoffBase, backCap: cfg.BackoffMax,
	}
	c.health.probe(componentPool, c.poolHealth)
	c.ln = cfg.Listener
	if c.ln == nil && cfg.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("listen for metrics: %w", err)
		}
		c.ln = ln
	}
	return c, nil
}

func withDefaults(cfg Config) Config {
	if cfg.MaxStreams <= 0 {
		cfg.MaxStreams = DefaultMaxStreams
	}
	if cfg.RotateEvery <= 0 {
		cfg.RotateEvery = DefaultRotateEvery
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.MaxLineBytes <= 0 {
		cfg.MaxLineBytes = DefaultMaxLineBytes
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = 250 * time.Millisecond
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// Addr returns the metrics server's address, or "" when there is none.
func (c *Capturer) Addr() string {
	if c.ln == nil {
		return ""
	}
	return c.ln.Addr().String()
}

// Run captures until ctx ends, then stops discovery, ends every stream,
// flushes the sink and stops the server. It returns the sink's final
// error, if any. Run is called once.
func (c *Capturer) Run(ctx context.Context) error {
	c.runCtx = ctx
	sinkDone := make(chan struct{})
	go func() { defer close(sinkDone); c.sink.run() }()
	srv, srvDone := c.serve()

	newDiscovery(c.cfg.Engine, c.cfg.Filter, c, c.health, c.cfg.Logger).run(ctx)

	c.wg.Wait()
	err := c.sink.close()
	<-sinkDone
	c.stopServer(srv, srvDone)
	return err
}

// serve starts the metrics server; its goroutine ends when stopServer runs.
func (c *Capturer) serve() (*http.Server, chan struct{}) {
	done := make(chan struct{})
	if c.ln == nil {
		close(done)
		return nil, done
	}
	srv := &http.Server{
		Handler:           newMux(c.deps.met, c.health),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		defer close(done)
		if err := srv.Serve(c.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.cfg.Logger.Error("metrics server stopped", "err", err)
		}
	}()
	return srv, done
}

func (c *Capturer) stopServer(srv *http.Server, done chan struct{}) {
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
	}
	<-done
}

// started is discovery's news that a container runs.
func (c *Capturer) started(id, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.runCtx.Err() != nil {
		return
	}
	t := c.tracked[id]
	if t == nil {
		t = &tracked{f: newFollower(c.deps, id, name)}
		c.tracked[id] = t
	}
	if t.alive {
		t.wake = true
		return
	}
	c.launch(t)
}

// launch starts t's follower goroutine. The capturer owns it and waits for
// it in Run; it ends when the container stops or is removed, or at
// shutdown. Called with mu held.
func (c *Capturer) launch(t *tracked) {
	waits, cancel := context.WithCancel(c.runCtx)
	t.alive, t.wake, t.cancel = true, false, cancel
	c.wg.Add(1)
	go c.followLoop(t, waits)
}

func (c *Capturer) followLoop(t *tracked, waits context.Context) {
	defer c.wg.Done()
	c.deps.met.followed.Inc()
	defer c.deps.met.followed.Dec()
	log := c.cfg.Logger.With("container", t.f.name)
	log.Debug("following")
	for {
		end := t.f.follow(c.runCtx, waits)
		if !c.again(t, end) {
			log.Debug("no longer following", "end", endNames[end])
			return
		}
	}
}

// again says whether a follower whose container stopped should go on: a
// start came while it was still reading. Otherwise it records the end.
func (c *Capturer) again(t *tracked, end endReason) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if end == endStopped && t.wake && !t.gone && c.runCtx.Err() == nil {
		t.wake = false
		return true
	}
	t.alive = false
	t.cancel()
	if (end == endRemoved || t.gone) && c.tracked[t.f.id] == t {
		delete(c.tracked, t.f.id)
	}
	return false
}

// removed is discovery's news that a container is gone. A follower still
// reading finishes the stream first, then frees everything.
func (c *Capturer) removed(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tracked[id]
	if t == nil {
		return
	}
	delete(c.tracked, id)
	t.gone = true
	if t.alive {
		t.cancel()
	}
}

// known lists the ids of the containers the capturer tracks.
func (c *Capturer) known() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]string, 0, len(c.tracked))
	for id := range c.tracked {
		ids = append(ids, id)
	}
	return ids
}

// poolHealth is unhealthy when waiters have gone two rotations without a
// slot being handed out: the pool no longer moves.
func (c *Capturer) poolHealth() componentState {
	stalled := c.deps.pool.stalledFor()
	limit := 2*c.cfg.RotateEvery + 30*time.Second
	if stalled > limit {
		detail := fmt.Sprintf("no slot handed out for %s", stalled.Round(time.Second))
		return componentState{Healthy: false, Detail: detail}
	}
	return componentState{Healthy: true, Detail: fmt.Sprintf("%d of %d slots held, %d waiting",
		c.deps.pool.held(), c.cfg.MaxStreams, c.deps.pool.waiting())}
}
