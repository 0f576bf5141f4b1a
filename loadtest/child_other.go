//go:build !linux

package loadtest

import "syscall"

// childSysProcAttr leaves the child in the soak's process group: outside
// Linux, a Ctrl-C reaches the child too and it may stop before the final
// checkpoint.
func childSysProcAttr() *syscall.SysProcAttr { return nil }
