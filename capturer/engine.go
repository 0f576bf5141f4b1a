package capturer

import (
	"context"
	"io"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/errdefs"
)

// Engine is the part of the Docker client the capturer uses. A
// *client.Client satisfies it; tests use an in-memory fake.
type Engine interface {
	ContainerList(ctx context.Context, opts container.ListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
	ContainerLogs(ctx context.Context, id string, opts container.LogsOptions) (io.ReadCloser, error)
	Events(ctx context.Context, opts events.ListOptions) (<-chan events.Message, <-chan error)
}

// isNotFound says whether the engine no longer knows a container.
func isNotFound(err error) bool {
	return errdefs.IsNotFound(err)
}
