// Package loadtest puts real, checkable load on a log capturer and soaks
// it: the emitter that writes numbered lines, spawning, churning, listing
// and cleaning up labelled emitter containers, and the soak orchestration
// that scrapes a capturer while that load runs.
//
// Everything it creates on the engine carries engine.LabelManaged and
// engine.LabelRun; cleanup selects on those labels and nothing else.
package loadtest
