package analyze

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func FuzzParseCSV(f *testing.F) {
	f.Add("elapsed,goroutines,fds\n0,100,40\n60,101,40\n")
	f.Add("elapsed,goroutines,fds,healthy,lines\n1m,1,1,true,5\n2m,2,2,0,\n")
	f.Add("Elapsed , Goroutines , FDS\n\"0\",\"1\",\"2\"\n")
	f.Add("elapsed,goroutines,fds\n0,1e308,1\n1,1,1\n")
	f.Fuzz(func(t *testing.T, in string) {
		run, err := ParseCSV(strings.NewReader(in), "f.csv", t0, DefaultCriteria().Metrics)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if len(run.Checkpoints) == 0 {
			t.Fatal("no error and no checkpoint")
		}
		c, err := RunCriteria(DefaultCriteria(), run.Info.Flags, nil)
		if err != nil {
			t.Fatalf("recorded flags refused: %v", err)
		}
		res, err := Score(run, c)
		if err != nil {
			t.Fatalf("an imported run does not score: %v", err)
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("result does not encode: %v", err)
		}
	})
}

func FuzzReadCheckpoints(f *testing.F) {
	f.Add(`{"index":0,"elapsed_seconds":60,"metrics":{"go_goroutines":[{"value":5}]}}` + "\n")
	f.Add(`{"index":0,"metrics":{"x":[{"labels":{"a":"b"},"value":1}]}}` + "\n" + `{"index":1,"ela`)
	f.Add("\n\n{}\n")
	f.Add(`{"index":0,"metrics":{"go_goroutines":[{"value":1e18}]}}` + "\n" +
		`{"index":1,"elapsed_seconds":1e-300,"metrics":{"go_goroutines":[{"value":-1e18}]}}`)
	f.Add(`{"index":0,"metrics":{"go_goroutines":[{"value":1e18}]}}` + "\n" +
		`{"index":1,"elapsed_seconds":1e300,"metrics":{"go_goroutines":[{"value":-1e18}]}}`)
	f.Fuzz(func(t *testing.T, in string) {
		cps, _, err := ReadCheckpoints(strings.NewReader(in))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if len(cps) == 0 {
			return
		}
		// Whatever the reader accepts, Score must take without panicking,
		// with every criterion on and with all off.
		res, _ := Score(Run{Checkpoints: cps}, DefaultCriteria())
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("result does not encode: %v", err)
		}
		c := DefaultCriteria()
		c.Disabled = CriterionNames
		Score(Run{Checkpoints: cps}, c)
	})
}

func FuzzParseDump(f *testing.F) {
	f.Add(sampleDump)
	f.Add("goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n")
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ParseDump(strings.NewReader(in))
		if err != nil {
			return
		}
		p := d.Profile()
		if err := p.CheckValid(); err != nil {
			t.Fatalf("profile from a dump is not valid: %v", err)
		}
		var buf bytes.Buffer
		if err := p.Write(&buf); err != nil {
			t.Fatalf("write profile: %v", err)
		}
	})
}
