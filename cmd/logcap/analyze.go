package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the command is built; replaced by its owner.
func newAnalyzeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "analyze",
		Short: "not built yet",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("analyze: not built yet")
		},
	}
}
