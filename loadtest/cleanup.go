package loadtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"

	"github.com/logcap/logcap/internal/engine"
)

// removeTimeout bounds a removal that runs after its caller's context
// ended.
const removeTimeout = 2 * time.Minute

// removeConcurrency is how many containers are stopped and removed at once.
const removeConcurrency = 8

// List returns the containers carrying logcap's label, of runID if it is
// not empty, in any state, sorted by name.
func List(ctx context.Context, cli *client.Client, runID string) ([]Container, error) {
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: managed(runID)})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := make([]Container, 0, len(list))
	for _, c := range list {
		out = append(out, Container{
			ID: c.ID, Name: containerName(c.Names), RunID: c.Labels[engine.LabelRun],
			Image: c.Image, State: string(c.State), Labels: c.Labels,
		})
	}
	slices.SortFunc(out, func(a, b Container) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// managed selects logcap's label, and runID when it is not empty.
func managed(runID string) filters.Args {
	f := filters.NewArgs(filters.Arg("label", engine.LabelManaged+"=true"))
	if runID != "" {
		f.Add("label", engine.LabelRun+"="+runID)
	}
	return f
}

func containerName(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return strings.TrimPrefix(names[0], "/")
}

// Cleanup stops and removes every container carrying logcap's label (and
// runID, if not empty) and returns their names. With images it then
// removes the images carrying logcap's label (and runID, if not empty)
// that no container uses, and adds their references. Running it twice is
// fine; nothing without logcap's label is ever touched.
//
// The emitter images EnsureImage builds carry no run id, because every
// run with the same binary shares one; Cleanup with a run id keeps them.
func Cleanup(ctx context.Context, cli *client.Client, runID string, images bool) (
	[]string, error) {
	if runID != "" {
		if err := CheckRunID(runID); err != nil {
			return nil, err
		}
	}
	list, err := List(ctx, cli, runID)
	if err != nil {
		return nil, err
	}

	ids := make([]string, len(list))
	names := make(map[string]string, len(list))
	for i, c := range list {
		ids[i], names[c.ID] = c.ID, c.Name
	}
	gone, err := removeContainers(ctx, cli, ids)
	removed := make([]string, 0, len(gone)+1)
	for _, id := range gone {
		removed = append(removed, names[id])
	}
	slices.Sort(removed)
	if err != nil || !images {
		return removed, err
	}

	refs, err := removeImages(ctx, cli, runID)
	return append(removed, refs...), err
}

// removeContainers stops (so emitters write their final line) and removes
// the containers (by id or name), a few at a time. It returns those gone and
// every failure joined. A container already gone counts as removed.
//
// Its workers are owned by this call, which waits for all of them.
func removeContainers(ctx context.Context, cli *client.Client, ids []string) ([]string, error) {
	var (
		mu   sync.Mutex
		gone []string
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, removeConcurrency)
	for _, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			err := removeContainer(ctx, cli, id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			gone = append(gone, id)
		})
	}
	wg.Wait()
	return gone, errors.Join(errs...)
}

// removeOwn is removeContainers for what a spawn of runID may have
// created, by id or by name: each is inspected first and left alone unless
// it carries logcap's label and runID, since a name can belong to a
// container that is not logcap's.
func removeOwn(ctx context.Context, cli *client.Client, runID string, ids []string) (
	[]string, error) {
	var own []string
	var errs []error
	for _, id := range ids {
		c, err := cli.ContainerInspect(ctx, id)
		switch {
		case client.IsErrNotFound(err):
		case err != nil:
			errs = append(errs, fmt.Errorf("inspect container %.12s: %w", id, err))
		case c.Config != nil && c.Config.Labels[engine.LabelManaged] == "true" &&
			c.Config.Labels[engine.LabelRun] == runID:
			own = append(own, c.ID)
		}
	}
	gone, err := removeContainers(ctx, cli, own)
	return gone, errors.Join(append(errs, err)...)
}

func removeContainer(ctx context.Context, cli *client.Client, id string) error {
	timeout := int(stopTimeout.Seconds())
	// A failed stop is not final: the forced removal kills what would not stop.
	_ = cli.ContainerStop(ctx, id, container.StopOptions{Timeout: &timeout})
	err := cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true})
	if err != nil && !client.IsErrNotFound(err) && !removalInProgress(err) {
		return fmt.Errorf("remove container %.12s: %w", id, err)
	}
	return nil
}

// removalInProgress tells the engine's answer when another cleanup is
// already removing the same container.
func removalInProgress(err error) bool {
	return errdefs.IsConflict(err) && strings.Contains(err.Error(), "already in progress")
}

// removeImages removes logcap's images (of runID, if not empty) that no
// container uses, and returns their references.
func removeImages(ctx context.Context, cli *client.Client, runID string) ([]string, error) {
	list, err := cli.ImageList(ctx, image.ListOptions{Filters: managed(runID)})
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var removed []string
	var errs []error
	for _, img := range list {
		_, err := cli.ImageRemove(ctx, img.ID, image.RemoveOptions{PruneChildren: true})
		switch {
		case err == nil:
			removed = append(removed, imageRef(img))
		case client.IsErrNotFound(err):
		case errdefs.IsConflict(err):
			// In use by a container of another run: keep it.
		default:
			errs = append(errs, fmt.Errorf("remove image %s: %w", imageRef(img), err))
		}
	}
	return removed, errors.Join(errs...)
}

func imageRef(img image.Summary) string {
	if len(img.RepoTags) > 0 {
		return img.RepoTags[0]
	}
	return img.ID
}
