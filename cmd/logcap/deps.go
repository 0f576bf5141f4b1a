package main

// Blank imports keep every dependency of the stack in go.mod while the
// packages that use them are being written. Remove once each is imported
// for real.
import (
	_ "github.com/docker/docker/client"
	_ "github.com/google/pprof/profile"
	_ "github.com/olekukonko/tablewriter"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/collectors"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/prometheus/common/expfmt"
	_ "github.com/spf13/cobra"
	_ "github.com/stretchr/testify/require"
	_ "go.uber.org/goleak"
	_ "golang.org/x/term"
)
