package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"github.com/logcap/logcap/capturer"
	"github.com/logcap/logcap/internal/engine"
)

// runFlags are the flags of `logcap run`.
type runFlags struct {
	listen        string
	labels        []string
	include       string
	exclude       string
	maxStreams    int
	rotateEvery   time.Duration
	output        string
	flushInterval time.Duration
	maxLineBytes  int
}

func newRunCmd() *cobra.Command {
	var fl runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Capture the logs of Docker containers into JSON lines",
		Long: `run follows the logs of running Docker containers and writes every line,
exactly once, as one JSON object per line to --output. At most --max-streams
streams are open at once; containers beyond that wait in a first-in,
first-out queue and streams give their slot up at rotation while others wait.

Metrics, health and pprof are served on --listen: /metrics, /healthz,
/debug/pprof/. SIGINT or SIGTERM stops discovery, ends every stream,
flushes the output and exits 0; a second signal exits at once.`,
		Example: `  logcap run --label logcap.managed=true --output lines.jsonl
  logcap run --max-streams 50 --rotate-every 5m --listen 127.0.0.1:8001
  logcap run --include '^web-' --exclude '-debug$' --output -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCapturer(cmd.Context(), fl)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.listen, "listen", "127.0.0.1:8001",
		"address of /metrics, /healthz and /debug/pprof/")
	f.StringArrayVar(&fl.labels, "label", nil,
		"capture only containers with this label k=v (repeatable; all must match)")
	f.StringVar(&fl.include, "include", "",
		"capture only containers whose name matches this regexp")
	f.StringVar(&fl.exclude, "exclude", "", "skip containers whose name matches this regexp")
	f.IntVar(&fl.maxStreams, "max-streams", capturer.DefaultMaxStreams, "log streams open at once")
	f.DurationVar(&fl.rotateEvery, "rotate-every", capturer.DefaultRotateEvery,
		"close and reopen each stream this often")
	f.StringVar(&fl.output, "output", "./logcap-lines.jsonl",
		"file the JSON lines are appended to; - for stdout")
	f.DurationVar(&fl.flushInterval, "flush-interval", capturer.DefaultFlushInterval,
		"flush the output this often")
	f.IntVar(&fl.maxLineBytes, "max-line-bytes", capturer.DefaultMaxLineBytes,
		"cut lines longer than this and count them")
	return cmd
}

// runCapturer builds the capturer from the flags and runs it until a signal.
func runCapturer(parent context.Context, fl runFlags) error {
	log, err := newLogger(os.Stderr)
	if err != nil {
		return withCode(exitHarness, err)
	}
	filter, err := fl.filter()
	if err != nil {
		return withCode(exitHarness, err)
	}
	if err := fl.check(); err != nil {
		return withCode(exitHarness, err)
	}

	// The port first: a busy one must not leave an empty output behind.
	ln, err := listen(fl.listen)
	if err != nil {
		return withCode(exitHarness, err)
	}
	if ln != nil {
		defer ln.Close() // the server closed it already after Run
	}
	out, err := capturer.OpenOutput(fl.output)
	if err != nil {
		return withCode(exitHarness, err)
	}
	defer out.Close()

	ctx, stop := onSignals(parent, log)
	defer stop()
	cli, err := connect(ctx, log)
	if err != nil {
		return withCode(exitHarness, err)
	}
	defer cli.Close()

	c, err := capturer.New(capturer.Config{
		Engine: cli, Output: out, Listener: ln, Filter: filter,
		MaxStreams: fl.maxStreams, RotateEvery: fl.rotateEvery,
		FlushInterval: fl.flushInterval, MaxLineBytes: fl.maxLineBytes, Logger: log,
	})
	if err != nil {
		return withCode(exitHarness, err)
	}
	log.Info("capturing", "listen", c.Addr(), "output", fl.output,
		"max_streams", fl.maxStreams, "rotate_every", fl.rotateEvery)
	if err := c.Run(ctx); err != nil {
		return withCode(exitFailed, err)
	}
	log.Info("stopped")
	return nil
}

// listen binds the metrics address; "" serves nothing.
func listen(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics: %w", err)
	}
	return ln, nil
}

// filter builds the container filter from --label, --include, --exclude.
func (fl runFlags) filter() (capturer.Filter, error) {
	f := capturer.Filter{Labels: map[string]string{}}
	for _, kv := range fl.labels {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return f, fmt.Errorf("--label %q: want key=value", kv)
		}
		f.Labels[k] = v
	}
	var err error
	if f.Include, err = compile("--include", fl.include); err != nil {
		return f, err
	}
	f.Exclude, err = compile("--exclude", fl.exclude)
	return f, err
}

func compile(flag, expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return re, nil
}

// check rejects numbers the capturer cannot work with.
func (fl runFlags) check() error {
	switch {
	case fl.maxStreams < 1:
		return fmt.Errorf("--max-streams %d: want at least 1", fl.maxStreams)
	case fl.rotateEvery < 100*time.Millisecond:
		return fmt.Errorf("--rotate-every %s: want at least 100ms", fl.rotateEvery)
	case fl.flushInterval <= 0:
		return fmt.Errorf("--flush-interval %s: want more than 0", fl.flushInterval)
	case fl.maxLineBytes < 1:
		return fmt.Errorf("--max-line-bytes %d: want at least 1", fl.maxLineBytes)
	case fl.output == "":
		return fmt.Errorf("--output: want a file path or -")
	}
	return nil
}

// connect returns the shared Docker client. When the engine does not answer
// yet, the capturer starts anyway: discovery reports it unhealthy and keeps
// retrying with backoff.
func connect(ctx context.Context, log *slog.Logger) (*client.Client, error) {
	cli, err := engine.Connect(ctx)
	if err == nil {
		return cli, nil
	}
	log.Warn("docker engine not reachable yet; will keep retrying", "err", err)
	cli, err = client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	return cli, nil
}

// onSignals returns a context cancelled by the first SIGINT or SIGTERM; a
// second one exits the process at once. Its goroutine ends when stop runs.
func onSignals(parent context.Context, log *slog.Logger) (context.Context, func()) {
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			log.Info("shutting down; a second signal exits at once", "signal", s.String())
			cancel()
		case <-done:
			return
		}
		select {
		case <-sigs:
			log.Warn("second signal: exiting now")
			os.Exit(exitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}
