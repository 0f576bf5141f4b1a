package analyze

import (
	"runtime"
	"sync"
)

// This file holds the goroutines the profile tests park. The profiles in
// testdata name its lines: move nothing here without -update.

// site is where parkHere parks.
type site struct {
	file string
	line int
}

// parkHere reports where it will block, then blocks on release.
func parkHere(where chan<- site, release <-chan struct{}) {
	_, file, line, _ := runtime.Caller(0)
	where <- site{file, line + 2}
	<-release
}

// parked holds n goroutines in parkHere until stop is called.
type parked struct {
	site    site
	release chan struct{}
	wg      sync.WaitGroup
}

func park(n int) *parked {
	p := &parked{release: make(chan struct{})}
	where := make(chan site)
	for range n {
		p.wg.Go(func() { parkHere(where, p.release) })
	}
	for range n {
		p.site = <-where
	}
	return p
}

func (p *parked) stop() {
	close(p.release)
	p.wg.Wait()
}
