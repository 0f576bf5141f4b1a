package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the command is built; replaced by its owner.
func newSoakCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "soak",
		Short: "not built yet",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("soak: not built yet")
		},
	}
}
