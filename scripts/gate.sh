#!/usr/bin/env bash
# gate.sh: the soak gate a CI pipeline calls. It runs `logcap soak` with
# compressed defaults, prints where the report is, and turns the exit code
# into one clear line. Its own exit code is the soak's, so a pipeline can
# tell "the capturer leaks" (1) from "the test broke" (3).
#
#   scripts/gate.sh                                   # the built-in capturer
#   scripts/gate.sh --capturer ./mycapturer           # your capturer
#   scripts/gate.sh --duration 10m --containers 100   # your settings win
#
# Arguments are passed to `logcap soak` after the defaults, so a flag you
# give overrides its default. Environment:
#   LOGCAP     path of the logcap binary to use; otherwise the script
#              builds it from the checkout it sits in (when go is there),
#              else takes `logcap` from PATH.
#   GATE_OUT   run directory, unless --out is given (default
#              logcap-gate-<UTC time> in the current directory).
#
# Exit codes (those of `logcap soak`): 0 passed, 1 criteria failed (the
# capturer leaks), 2 inconclusive, 3 the harness failed (the test broke),
# 4 interrupted. A Docker engine must be reachable (DOCKER_HOST or the
# default socket); scripts/engine.sh starts one where there is none.
set -uo pipefail

# About 3 minutes lie between baseline and final, so the shortest run that
# may decide (--min-duration, 5m by default) comes down to 2m.
defaults=(--containers 55 --duration 4m --interval 15s --rotate-every 20s --warmup 30s
	--min-duration 2m)

die() {
	echo "gate: $*" >&2
	exit 3
}

# find_logcap prints the path of the logcap binary to use.
find_logcap() {
	if [[ -n "${LOGCAP:-}" ]]; then
		[[ -x "$LOGCAP" ]] || die "LOGCAP=$LOGCAP is not an executable"
		echo "$LOGCAP"
		return
	fi
	local root
	root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
	if [[ -f "$root/cmd/logcap/main.go" ]] && command -v go >/dev/null; then
		build_logcap "$root"
		return
	fi
	command -v logcap || die "no logcap: set LOGCAP, run from a checkout with go, or install it"
}

# build_logcap builds the checkout at $1 into a temporary directory,
# stamped with its commit so the report names what was measured.
build_logcap() {
	local root="$1" bin commit version
	bin="$(mktemp -d)/logcap"
	commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	version="$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)"
	echo "gate: building logcap $version from $root" >&2
	(cd "$root" && CGO_ENABLED=0 go build \
		-ldflags "-X main.version=$version -X main.commit=$commit" \
		-o "$bin" ./cmd/logcap) >&2 || die "go build of logcap failed"
	echo "$bin"
}

# out_dir prints the run directory: the last --out among the arguments,
# else GATE_OUT, else a fresh timestamped name.
out_dir() {
	local out="${GATE_OUT:-logcap-gate-$(date -u +%Y%m%d-%H%M%S)}"
	while (($#)); do
		case "$1" in
		--out) out="${2:-}"; shift ;;
		--out=*) out="${1#--out=}" ;;
		esac
		shift
	done
	echo "$out"
}

# explain prints the meaning of the soak's exit code $1.
explain() {
	case "$1" in
	0) echo "gate: PASS: every criterion held; no leak found" ;;
	1) echo "gate: FAIL: criteria failed; the capturer leaks or misbehaves (see the report)" ;;
	2) echo "gate: INCONCLUSIVE: the run was too short or too noisy to decide; run it longer" ;;
	3) echo "gate: HARNESS FAILED: the test itself broke (bad flag, engine or target" \
		"unreachable); this says nothing about the capturer" ;;
	4) echo "gate: INTERRUPTED: stopped by a signal; the report is marked incomplete" ;;
	*) echo "gate: logcap soak exited with unexpected code $1" ;;
	esac
}

main() {
	local logcap out code
	logcap="$(find_logcap)" || exit 3
	out="$(out_dir "$@")"
	[[ -n "$out" ]] || die "--out needs a directory"

	echo "gate: $logcap soak ${defaults[*]} --out $out $*" >&2
	"$logcap" soak "${defaults[@]}" --out "$out" "$@"
	code=$?

	if [[ -f "$out/report.md" ]]; then
		echo "gate: report: $out/report.md"
	else
		echo "gate: no report was written (run directory: $out)"
	fi
	explain "$code"
	exit "$code"
}

main "$@"
