// Package reports renders a scored soak run for people and machines: the
// checkpoint report in GitHub Markdown (report.md), the verdict and figures
// as JSON (summary.json), and a chart of goroutines and open file
// descriptors over time (chart.svg). It works on the plain values of
// package analyze and knows nothing of Docker or HTTP.
package reports
