package loadtest

import "syscall"

// childSysProcAttr puts the child in its own process group and has the
// kernel send it SIGTERM if the soak dies without stopping it.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
