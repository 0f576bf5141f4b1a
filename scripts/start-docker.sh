#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine: use the running one,
# else start dockerd, else install Debian's docker.io and start it.
# Fails with one clear line when no engine can be brought up.
set -euo pipefail

log() { echo "start-docker: $*" >&2; }

answers() { timeout 10 docker info >/dev/null 2>&1; }

wait_for_engine() {
  for _ in $(seq 1 60); do
    answers && return 0
    sleep 1
  done
  return 1
}

start_dockerd() {
  log "starting dockerd (log: /var/log/logcap-dockerd.log)"
  nohup dockerd >/var/log/logcap-dockerd.log 2>&1 &
  wait_for_engine
}

install_docker() {
  log "no dockerd found: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
}

main() {
  if answers; then
    log "engine answers: $(docker version --format '{{.Server.Version}}')"
    return 0
  fi
  command -v dockerd >/dev/null 2>&1 || install_docker
  if ! start_dockerd; then
    log "FAILED: dockerd did not answer within 60s; see /var/log/logcap-dockerd.log"
    tail -n 20 /var/log/logcap-dockerd.log >&2 || true
    exit 1
  fi
  log "engine answers: $(docker version --format '{{.Server.Version}}')"
}

main "$@"
