#!/usr/bin/env bash
# Starts or stops a single-host Slurm (munge, slurmctld, slurmd from Debian's
# packages, see scripts/setup.sh) for running nonaffine's Slurm executor here.
#
#   scripts/slurm-local.sh start   # then: export SLURM_CONF=<printed path>
#   scripts/slurm-local.sh stop
#   scripts/slurm-local.sh status
#
# The configuration is scripts/slurm/slurm.conf with this machine's host name
# and CPU count filled in, written to $NONAFFINE_SLURM_DIR (default
# /tmp/nonaffine-slurm) with the daemons' state, logs and pid files. Client
# commands (sbatch, squeue, ...) find it through SLURM_CONF, which `start`
# prints last. Must run as root (slurmd runs jobs as their submitter). munged
# is started only when no munge daemon answers, and `stop` stops it only if
# `start` started it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="${NONAFFINE_SLURM_DIR:-/tmp/nonaffine-slurm}"
port="${NONAFFINE_SLURM_PORT:-6817}"
conf="$state/slurm.conf"

die() { echo "slurm-local: $*" >&2; exit 1; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (slurmd starts jobs as their user)"
  for b in munged slurmctld slurmd sbatch; do
    command -v "$b" >/dev/null || die "$b not found: run scripts/setup.sh (Debian packages munge slurmctld slurmd slurm-client)"
  done
  mkdir -p "$state/ctld" "$state/d"
  local node cpus
  node="$(hostname -s)"
  cpus="$(nproc --all)"
  sed -e "s|@NODE@|$node|g" -e "s|@CPUS@|$cpus|g" -e "s|@STATE@|$state|g" \
      -e "s|@PORT1@|$((port + 1))|g" -e "s|@PORT@|$port|g" \
      "$here/slurm/slurm.conf" > "$conf"
  export SLURM_CONF="$conf"

  # munge: the key comes with the package (/etc/munge/munge.key).
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    [ -f /etc/munge/munge.key ] || mungekey --create
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge/munge.key
    chmod 0755 /run/munge
    runuser -u munge -- munged
    touch "$state/munged.ours"
    for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
    munge -n | unmunge >/dev/null || die "munged does not answer (see /var/log/munge/munged.log)"
  fi

  pid_alive "$state/slurmctld.pid" || slurmctld -f "$conf"
  pid_alive "$state/slurmd.pid" || slurmd -f "$conf"

  # Wait until the node is up and idle (a fresh node starts as UNKNOWN).
  local s=""
  for _ in $(seq 100); do
    s="$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)"
    case "$s" in idle|mix|alloc) break ;; esac
    sleep 0.2
  done
  case "$s" in
    idle|mix|alloc) ;;
    *) scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true
       sleep 1
       s="$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)"
       case "$s" in idle|mix|alloc) ;; *) die "node $node is '${s:-not reported}' (logs: $state/slurmctld.log, $state/slurmd.log)";; esac ;;
  esac
  echo "slurm-local: node $node with $cpus CPUs is $s; logs in $state" >&2
  echo "export SLURM_CONF=$conf"
}

stop() {
  local pids=()
  for d in slurmd slurmctld; do
    if pid_alive "$state/$d.pid"; then
      pids+=("$(cat "$state/$d.pid")")
      kill "$(cat "$state/$d.pid")"
    fi
  done
  if [ -f "$state/munged.ours" ]; then
    local mp=/run/munge/munged.pid
    if pid_alive "$mp"; then pids+=("$(cat "$mp")"); kill "$(cat "$mp")"; fi
    rm -f "$state/munged.ours"
  fi
  for p in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  echo "slurm-local: stopped ${#pids[@]} daemon(s)" >&2
}

status() {
  export SLURM_CONF="$conf"
  for d in slurmctld slurmd; do
    if pid_alive "$state/$d.pid"; then echo "$d: running (pid $(cat "$state/$d.pid"))"; else echo "$d: stopped"; fi
  done
  [ -f "$conf" ] && sinfo 2>/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
