// Package engine holds what every part of logcap needs to talk to the
// Docker engine: connecting, the labels logcap puts on what it creates,
// run ids, and the locally built emitter image.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/docker/docker/client"
)

// LabelManaged marks every container and image logcap creates; cleanup
// selects on it and removes nothing without it.
const LabelManaged = "logcap.managed"

// LabelRun carries the run id on every container logcap spawns.
const LabelRun = "logcap.run"

// pingTimeout bounds the first round trip to the engine.
const pingTimeout = 10 * time.Second

// Connect opens a client from the environment (DOCKER_HOST and friends),
// negotiates the API version with the engine, and pings it. The error
// names the host it tried.
func Connect(ctx context.Context) (*client.Client, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}

	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	ping, err := cli.Ping(pctx)
	if err != nil {
		host := cli.DaemonHost()
		_ = cli.Close()
		return nil, fmt.Errorf("docker engine not reachable at %s: %w", host, err)
	}
	cli.NegotiateAPIVersionPing(ping)
	return cli, nil
}

// NewRunID returns a fresh run id: short, lowercase, [a-z0-9-], made of
// the UTC time and four random hex digits, e.g. r20261204-153012-ab12.
func NewRunID() string {
	var b [2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	now := time.Now().UTC().Format("20060102-150405")
	return "r" + now + "-" + hex.EncodeToString(b[:])
}
