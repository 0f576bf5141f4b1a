package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/logcap/logcap/internal/engine"
)

// ErrChildExited means the child capturer ended before it was told to.
var ErrChildExited = errors.New("capturer exited")

// childOptions says how to start a capturer as `PATH run <flags>`, with the
// flags of docs/CONTRACTS.md.
type childOptions struct {
	Path        string
	Listen      string // 127.0.0.1:<port>
	RunID       string
	MaxStreams  int
	RotateEvery time.Duration
	Output      string // sink file
	LogPath     string // where its stdout and stderr go
}

func (o childOptions) args() []string {
	return []string{
		"run",
		"--listen", o.Listen,
		"--label", engine.LabelRun + "=" + o.RunID,
		"--max-streams", strconv.Itoa(o.MaxStreams),
		"--rotate-every", o.RotateEvery.String(),
		"--output", o.Output,
		"--log-format", "json",
	}
}

// child is a capturer running as a child process.
//
// One goroutine per child waits for the process; it ends when the process
// does, and Stop waits for it, so a stopped child leaves nothing behind.
type child struct {
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed once the process has exited
	err  error         // from Wait, valid after done
}

// startChild starts the capturer. Its output goes to opts.LogPath. It runs
// in its own process group, so a Ctrl-C on the terminal reaches only the
// soak, which then stops the child in order.
func startChild(opts childOptions) (*child, error) {
	log, err := os.Create(opts.LogPath)
	if err != nil {
		return nil, fmt.Errorf("create capturer log: %w", err)
	}
	cmd := exec.Command(opts.Path, opts.args()...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = childSysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("start capturer %s: %w", opts.Path, err)
	}

	c := &child{cmd: cmd, log: log, done: make(chan struct{})}
	go c.wait()
	return c, nil
}

func (c *child) wait() {
	c.err = c.cmd.Wait()
	_ = c.log.Close()
	close(c.done)
}

// Done is closed once the process has exited.
func (c *child) Done() <-chan struct{} { return c.done }

// Pid is the child's process id.
func (c *child) Pid() int { return c.cmd.Process.Pid }

// exitErr describes how the process ended, after Done, with the last line
// it logged.
func (c *child) exitErr() error {
	last := ""
	if l := lastLine(c.log.Name()); l != "" {
		last = fmt.Sprintf(" (last log line: %s)", l)
	}
	if c.err == nil {
		return fmt.Errorf("%w with status 0%s", ErrChildExited, last)
	}
	return fmt.Errorf("%w: %w%s", ErrChildExited, c.err, last)
}

// lastLine returns the last non-empty line of the file's final 4 KiB.
func lastLine(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > 4096 {
		_, _ = f.Seek(-4096, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// Stop sends SIGTERM, waits up to grace for the process to exit, then
// kills it. It returns the process's exit error when it did not exit
// cleanly on SIGTERM. Stop may be called more than once.
func (c *child) Stop(grace time.Duration) error {
	select {
	case <-c.done:
		return c.err
	default:
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil &&
		!errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal capturer: %w", err)
	}

	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-c.done:
		return c.err
	case <-t.C:
	}
	_ = c.cmd.Process.Kill()
	<-c.done
	return fmt.Errorf("capturer did not exit within %s of SIGTERM; killed", grace)
}

// freeLoopbackAddr returns a loopback address with a port that was free a
// moment ago. Another process can take the port before the child binds
// it; the child then fails to start and the soak reports that.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	return addr, nil
}

// waitReady polls url until it answers 200, the child (when not nil)
// exits, ctx ends, or timeout passes.
func waitReady(ctx context.Context, hc *http.Client, url string, c *child,
	timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()

	var last error
	for {
		if last = probe(ctx, hc, url); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
				return fmt.Errorf("%s not answering after %s: %w", url, timeout, last)
			}
			return ctx.Err()
		case <-childDone(c):
			return c.exitErr()
		case <-tick.C:
		}
	}
}

func probe(ctx context.Context, hc *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}

// childDone is c.Done(), or a nil channel (never ready) without a child.
func childDone(c *child) <-chan struct{} {
	if c == nil {
		return nil
	}
	return c.Done()
}
