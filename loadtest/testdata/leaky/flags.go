package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// config is what `leaky run` was asked to do.
type config struct {
	listen       string
	labels       []string
	maxStreams   int
	rotateEvery  time.Duration
	output       string
	logFormat    string
	maxLineBytes int
}

// parseFlags reads `run <flags>` with the flags of `logcap run` that the
// soak passes. Flags it does not know are accepted and ignored, so a soak
// may pass more than this program uses.
func parseFlags(args []string) (config, error) {
	if len(args) == 0 || args[0] != "run" {
		return config{}, errors.New("usage: leaky run --label k=v [flags]")
	}

	var cfg config
	fs := pflag.NewFlagSet("leaky run", pflag.ContinueOnError)
	fs.ParseErrorsAllowlist.UnknownFlags = true
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8001", "metrics, health and pprof address")
	fs.StringArrayVar(&cfg.labels, "label", nil, "follow containers with this label k=v")
	fs.IntVar(&cfg.maxStreams, "max-streams", 50, "stream pool capacity")
	fs.DurationVar(&cfg.rotateEvery, "rotate-every", 5*time.Minute, "stream rotation")
	fs.StringVar(&cfg.output, "output", "lines.jsonl", "sink file")
	fs.StringVar(&cfg.logFormat, "log-format", "text", "text or json")
	fs.IntVar(&cfg.maxLineBytes, "max-line-bytes", 1<<20, "cut lines longer than this")
	if err := fs.Parse(args[1:]); err != nil {
		return config{}, fmt.Errorf("flags: %w", err)
	}
	return cfg, cfg.validate()
}

// validate refuses a run without a label filter: leaky must never follow
// containers that are not its own test's.
func (c config) validate() error {
	switch {
	case len(c.labels) == 0:
		return errors.New("--label k=v is required")
	case c.maxStreams < 1:
		return fmt.Errorf("--max-streams %d: want at least 1", c.maxStreams)
	case c.rotateEvery <= 0:
		return fmt.Errorf("--rotate-every %v: want above 0", c.rotateEvery)
	case c.maxLineBytes < 1:
		return fmt.Errorf("--max-line-bytes %d: want at least 1", c.maxLineBytes)
	}
	for _, l := range c.labels {
		if k, _, ok := strings.Cut(l, "="); !ok || k == "" {
			return fmt.Errorf("--label %q: want k=v", l)
		}
	}
	return nil
}
