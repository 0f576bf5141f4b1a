package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// record is one sink line of docs/CONTRACTS.md.
type record struct {
	Time          string `json:"time"`
	ContainerID   string `json:"container_id"`
	ContainerName string `json:"container_name"`
	Stream        string `json:"stream"`
	Line          string `json:"line"`
	Truncated     bool   `json:"truncated,omitempty"`
}

// sink appends records to a file, one write per record.
type sink struct {
	mu  sync.Mutex
	f   *os.File
	enc *json.Encoder
}

func openSink(path string) (*sink, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open sink: %w", err)
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	return &sink{f: f, enc: enc}, nil
}

// write appends one record.
func (s *sink) write(ts time.Time, id, name, stream, line string, cut bool) error {
	r := record{
		Time:          ts.UTC().Format(time.RFC3339Nano),
		ContainerID:   id,
		ContainerName: name,
		Stream:        stream,
		Line:          line,
		Truncated:     cut,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.enc.Encode(r); err != nil {
		return fmt.Errorf("write sink: %w", err)
	}
	return nil
}

func (s *sink) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("close sink: %w", err)
	}
	return nil
}
