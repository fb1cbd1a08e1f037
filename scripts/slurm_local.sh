#!/usr/bin/env bash
# A one-node SLURM cluster on localhost, for tests of workflow/profiles/slurm.
#
#   scripts/slurm_local.sh start    # install (apt) if needed, start munged, slurmctld, slurmd
#   scripts/slurm_local.sh stop     # stop only the daemons this script started
#   scripts/slurm_local.sh status
#
# Needs root (apt, /etc/slurm). The node declares a GPU through gres (Count only, no device),
# so jobs asking --gpus=1 are scheduled and carry the request. Every wait is bounded.
# Config: /etc/slurm/slurm.conf (the job-step plugin drops SLURM_CONF, so it must be there).
set -euo pipefail

STATE=${FLOWRL_SLURM_STATE:-/tmp/flowrl-slurm}
CONF_DIR=/etc/slurm
TIMEOUT=${FLOWRL_SLURM_TIMEOUT:-60}
PARTITION=${FLOWRL_SLURM_PARTITION:-debug}
log() { echo "slurm_local: $*" >&2; }

install() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then
    return
  fi
  [ "$(id -u)" = 0 ] || { log "need root to apt-get install slurm-wlm munge"; exit 1; }
  log "installing slurm-wlm and munge (apt)"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq
  timeout 600 apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

write_config() {
  local cpus mem
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
  mkdir -p "$CONF_DIR" "$STATE/spool/d" "$STATE/spool/ctld" "$STATE/log"
  cat > "$CONF_DIR/slurm.conf" <<CONF
# written by flowrl scripts/slurm_local.sh
ClusterName=flowrl
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$STATE/spool/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
ReturnToService=2
MinJobAge=600
KillWait=5
SlurmctldTimeout=30
SlurmdTimeout=30
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
NodeName=localhost CPUs=$cpus RealMemory=$mem Gres=gpu:1 State=UNKNOWN
PartitionName=$PARTITION Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  cat > "$CONF_DIR/gres.conf" <<CONF
NodeName=localhost Name=gpu Count=1 File=/dev/null
CONF
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    log "munged already running (not ours)"
    return
  fi
  [ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged --force
  pgrep -u munge -n munged > "$STATE/munged.pid"
  for _ in $(seq "$TIMEOUT"); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return
    sleep 1
  done
  log "munged did not come up"; exit 1
}

start() {
  install
  mkdir -p "$STATE"
  if [ -f "$STATE/slurmctld.pid" ] && kill -0 "$(cat "$STATE/slurmctld.pid")" 2>/dev/null; then
    log "already running"; return
  fi
  write_config
  start_munge
  /usr/sbin/slurmctld -f "$CONF_DIR/slurm.conf" || { log "slurmctld failed"; tail -n 5 "$STATE/log/slurmctld.log" >&2; stop; exit 1; }
  /usr/sbin/slurmd -f "$CONF_DIR/slurm.conf" -N localhost || { log "slurmd failed"; tail -n 5 "$STATE/log/slurmd.log" >&2; stop; exit 1; }
  for _ in $(seq "$TIMEOUT"); do
    state=$(sinfo -h -N -n localhost -o %t 2>/dev/null || true)
    case "$state" in
      idle*|mix*|alloc*) log "node localhost is $state (partition $PARTITION, gres gpu:1)"; return ;;
      down*|drain*) scontrol update nodename=localhost state=resume 2>/dev/null || true ;;
    esac
    sleep 1
  done
  log "slurm did not become ready in ${TIMEOUT}s; logs in $STATE/log"
  tail -n 20 "$STATE"/log/*.log >&2 || true
  stop; exit 1
}

stop_pid() {  # stop the daemon whose pid file this script owns, nothing else
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

stop() {
  stop_pid "$STATE/slurmd.pid"
  stop_pid "$STATE/slurmctld.pid"
  stop_pid "$STATE/munged.pid"
  log "stopped"
}

status() {
  for d in munged slurmctld slurmd; do
    if [ -f "$STATE/$d.pid" ] && kill -0 "$(cat "$STATE/$d.pid")" 2>/dev/null; then
      echo "$d running (pid $(cat "$STATE/$d.pid"))"
    else
      echo "$d not running"
    fi
  done
  sinfo -N -o "%N %t %G %P" 2>/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
