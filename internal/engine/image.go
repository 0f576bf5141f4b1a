package engine

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
)

// ImageRepo is the repository of the emitter image; its tag is a hash of
// the binary inside.
const ImageRepo = "logcap-emit"

// LabelBinary on the emitter image carries the full sha256 of its binary.
const LabelBinary = "logcap.binary"

// ErrDynamicBinary means the binary needs a dynamic loader, so it cannot
// run in an image built FROM scratch.
var ErrDynamicBinary = errors.New(
	"binary is dynamically linked, so it cannot run in a scratch image: build it with CGO_ENABLED=0")

const dockerfile = `FROM scratch
COPY logcap /logcap
ENTRYPOINT ["/logcap", "emit"]
`

// EnsureImage returns the reference of an image that runs binPath as
// "/logcap emit", building it from scratch through the engine (no registry)
// unless an image for the same binary already exists. The image carries
// LabelManaged, which its containers inherit, and no run id: every run
// with the same binary shares it. Nothing removes the image of an older
// binary but `logcap spawn --cleanup --images`.
func EnsureImage(ctx context.Context, cli *client.Client, binPath string) (string, error) {
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return "", fmt.Errorf("read binary: %w", err)
	}
	if err := checkStatic(binPath); err != nil {
		return "", err
	}

	sum := sha256.Sum256(bin)
	ref := ImageRepo + ":" + hex.EncodeToString(sum[:6])
	if _, err := cli.ImageInspect(ctx, ref); err == nil {
		return ref, nil
	}

	labels := map[string]string{
		LabelManaged: "true",
		LabelBinary:  hex.EncodeToString(sum[:]),
	}
	if err := buildFrom(ctx, cli, bin, ref, labels); err != nil {
		return "", err
	}
	return ref, nil
}

// BuildImage builds, from scratch and whatever exists, an image tagged ref
// with labels (and no others) that runs binPath as "/logcap emit".
// Containers of the image inherit its labels.
func BuildImage(ctx context.Context, cli *client.Client, binPath, ref string,
	labels map[string]string) error {
	if err := checkStatic(binPath); err != nil {
		return err
	}
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return fmt.Errorf("read binary: %w", err)
	}
	return buildFrom(ctx, cli, bin, ref, labels)
}

func buildFrom(ctx context.Context, cli *client.Client, bin []byte, ref string,
	labels map[string]string) error {
	buildCtx, err := buildContext(bin)
	if err != nil {
		return err
	}
	if err := buildImage(ctx, cli, buildCtx, ref, labels); err != nil {
		return fmt.Errorf("build image %s: %w", ref, err)
	}
	return nil
}

// checkStatic fails when the ELF file at path asks for a program
// interpreter (PT_INTERP), that is, when it is dynamically linked.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("binary %s is not an ELF executable: %w", path, err)
	}
	defer f.Close()

	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s: %w", path, ErrDynamicBinary)
		}
	}
	return nil
}

// buildContext makes the tar build context in memory.
func buildContext(bin []byte) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []struct {
		name string
		mode int64
		data []byte
	}{
		{"Dockerfile", 0o644, []byte(dockerfile)},
		{"logcap", 0o755, bin},
	}
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("tar build context: %w", err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("tar build context: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("tar build context: %w", err)
	}
	return &buf, nil
}

// buildImage sends the context to the engine and reads the progress
// stream to its end, returning the first error the engine reports.
func buildImage(ctx context.Context, cli *client.Client, buildCtx io.Reader,
	ref string, labels map[string]string) error {
	resp, err := cli.ImageBuild(ctx, buildCtx, build.ImageBuildOptions{
		Tags:        []string{ref},
		Labels:      labels,
		Remove:      true,
		ForceRemove: true,
		PullParent:  false,
		Dockerfile:  "Dockerfile",
	})
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	dec := json.NewDecoder(resp.Body)
	for {
		var msg jsonmessage.JSONMessage
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("read build output: %w", err)
		}
		if msg.Error != nil {
			return msg.Error
		}
	}
}
