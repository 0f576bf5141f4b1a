package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the command is built; replaced by its owner.
func newEmitCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "emit",
		Hidden: true,
		Short:  "not built yet",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("emit: not built yet")
		},
	}
}
