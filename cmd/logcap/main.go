// Command logcap captures Docker container logs, spawns labelled load, and
// soaks a capturer to prove it leaks neither goroutines nor file
// descriptors.
package main

import "os"

func main() {
	os.Exit(execute(os.Args[1:]))
}
