package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the command is built; replaced by its owner.
func newSpawnCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "spawn",
		Short: "not built yet",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("spawn: not built yet")
		},
	}
}
