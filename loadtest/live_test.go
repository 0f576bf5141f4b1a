package loadtest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLiveLine(t *testing.T) {
	tests := []struct {
		name string
		s    LiveState
		want string
	}{
		{
			name: "checkpoint with growth",
			s: LiveState{Phase: "checkpoint", Checkpoint: 7, Total: 25,
				Elapsed: 12 * time.Minute, Remaining: 48 * time.Minute,
				Goroutines: 61, HaveGoroutines: true, Growth: 0.05, HaveGrowth: true},
			want: "checkpoint 7/25  elapsed 12m0s  remaining 48m0s  goroutines 61  growth 0.05/min",
		},
		{
			name: "warm-up",
			s:    LiveState{Phase: "warm-up", Elapsed: 1500 * time.Millisecond, Remaining: time.Minute},
			want: "warm-up  elapsed 2s  remaining 1m0s",
		},
		{
			name: "short durations keep milliseconds",
			s:    LiveState{Phase: "settling", Elapsed: 250 * time.Millisecond},
			want: "settling  elapsed 250ms  remaining 0s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.s.line())
		})
	}
}

func TestLiveTerminalRedraws(t *testing.T) {
	var b strings.Builder
	l := NewLive(&b, true)
	l.Update(LiveState{Phase: "warm-up"})
	l.Update(LiveState{Phase: "checkpoint", Checkpoint: 1, Total: 2})
	l.Done()

	want := "\r\033[Kwarm-up  elapsed 0s  remaining 0s" +
		"\r\033[Kcheckpoint 1/2  elapsed 0s  remaining 0s\n"
	require.Equal(t, want, b.String())
}

func TestLivePlainOneLinePerCheckpoint(t *testing.T) {
	var b strings.Builder
	l := NewLive(&b, false)
	l.Update(LiveState{Phase: "warm-up"})
	l.Update(LiveState{Phase: "checkpoint", Checkpoint: 1, Total: 2})
	l.Update(LiveState{Phase: "checkpoint", Checkpoint: 1, Total: 2})
	l.Update(LiveState{Phase: "checkpoint", Checkpoint: 2, Total: 2})
	l.Done()

	want := "checkpoint 1/2  elapsed 0s  remaining 0s\n" +
		"checkpoint 2/2  elapsed 0s  remaining 0s\n"
	require.Equal(t, want, b.String())
}

func TestLiveWriterLiftsTheLine(t *testing.T) {
	tests := []struct {
		name string
		tty  bool
		want string
	}{
		{
			name: "terminal",
			tty:  true,
			want: "\r\033[Kwarm-up  elapsed 0s  remaining 0s" +
				"\r\033[Klevel=INFO msg=x\nwarm-up  elapsed 0s  remaining 0s\n",
		},
		{name: "plain", tty: false, want: "level=INFO msg=x\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			l := NewLive(&b, tt.tty)
			l.Update(LiveState{Phase: "warm-up"})
			_, err := l.Writer().Write([]byte("level=INFO msg=x\n"))
			require.NoError(t, err)
			l.Done()
			require.Equal(t, tt.want, b.String())
		})
	}
}

func TestLiveClear(t *testing.T) {
	var b strings.Builder
	l := NewLive(&b, true)
	l.Update(LiveState{Phase: "settling"})
	l.Clear()
	l.Done()
	require.Equal(t, "\r\033[Ksettling  elapsed 0s  remaining 0s\r\033[K", b.String())
}
