#!/usr/bin/env bash
# A real single-node Slurm cluster for the tests that run the scale-out recipe as a job array
# (test/integration/slurm). Everything lives in one folder: a fresh munge key and socket, slurm.conf,
# spool and state folders, logs; nothing under /etc is written, so it starts on a fresh machine
# without systemd and beside any Slurm the machine already runs (on other ports).
#
#   scripts/slurm-local.sh start     write the configuration, start munged, slurmctld and slurmd in
#                                    the background, wait until sinfo shows the node idle
#   scripts/slurm-local.sh stop      stop the three daemons
#   scripts/slurm-local.sh env       print `export SLURM_CONF=...` for the client commands
#
# Settings (environment): SLURM_LOCAL_DIR (default /tmp/secreview-slurm), SLURM_LOCAL_PORT
# (slurmctld's port, default 6817; slurmd takes the next one), SLURM_LOCAL_GPU (default 1: the node
# declares one GPU, so that a job asking for --gres=gpu:1 is scheduled and the request can be
# checked; its device file is /dev/null, as Slurm drops a GPU without one; 0: no GPU).
# The daemons run as root, as Slurm's own user and as the jobs' user, with process tracking by
# /proc (proctrack/linuxproc) and no task plugin (task/none): neither needs systemd or cgroups.
# No accounting database. Needs the Debian packages slurm-wlm and munge.
set -euo pipefail

DIR=${SLURM_LOCAL_DIR:-/tmp/secreview-slurm}
PORT=${SLURM_LOCAL_PORT:-6817}
GPU=${SLURM_LOCAL_GPU:-1}
CONF=$DIR/slurm.conf
SOCKET=$DIR/munge/munge.socket
say() { echo "slurm-local: $*"; }
die() { echo "slurm-local: $*" >&2; exit 1; }

# Stops the daemon whose pid file is $1 (if it runs), waiting up to 10 s for it to exit.
stop_pid() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

stop() {
  stop_pid "$DIR/slurmd.pid"
  stop_pid "$DIR/slurmctld.pid"
  stop_pid "$DIR/munge/munged.pid"
  say "stopped (logs in $DIR/log)"
}

start() {
  [ "$(id -u)" = 0 ] || die "start needs root (slurmd launches jobs as their user; munged reads a root-owned key)"
  command -v slurmctld >/dev/null && command -v munged >/dev/null \
    || die "Slurm is not installed: install the Debian packages slurm-wlm and munge (scripts/install-system-deps.sh does)"
  stop >/dev/null 2>&1 || true
  rm -rf "$DIR/state" "$DIR/spool"
  mkdir -p "$DIR/munge" "$DIR/state" "$DIR/spool" "$DIR/log"
  chmod 0711 "$DIR/munge"  # the socket must be reachable; the key itself is 0400

  # munge: a key of our own (1024 random bytes), its socket in our folder.
  if [ ! -s "$DIR/munge/munge.key" ]; then
    head -c 1024 /dev/urandom >"$DIR/munge/munge.key"
    chmod 0400 "$DIR/munge/munge.key"
  fi
  # --force: munged refuses to run as root otherwise; the key and socket are private to root here.
  munged --force --key-file="$DIR/munge/munge.key" --socket="$SOCKET" --pid-file="$DIR/munge/munged.pid" \
    --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed"

  # The node as slurmd sees it (CPUs, sockets, cores, threads, memory), so the configuration matches.
  local node host cpus memory gres=""
  node=$(slurmd -C | head -n 1)
  host=$(hostname -s)
  [[ $node == NodeName=* ]] || die "slurmd -C did not describe the node: $node"
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$node")
  memory=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
  [ -n "$cpus" ] && [ -n "$memory" ] || die "no CPU count or memory in: $node"
  if [ "$GPU" = 1 ]; then echo "Name=gpu File=/dev/null" >"$DIR/gres.conf"; gres=" Gres=gpu:1"; else : >"$DIR/gres.conf"; fi
  cat >"$CONF" <<EOF
# Written by scripts/slurm-local.sh: a single-node cluster for tests.
ClusterName=secreview-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCKET
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
# A job that gives no --mem gets its CPUs' share of the node, not all of it (which would run one job at a time).
DefMemPerCPU=$((memory / cpus))
GresTypes=gpu
MpiDefault=none
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=300
$(sed "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/" <<<"$node")$gres State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$CONF
  slurmctld -f "$CONF"
  slurmd -f "$CONF" -N "$host"

  # Wait (60 s at most) until the node is idle.
  local state=""
  for _ in $(seq 120); do
    state=$(sinfo -h -N -n "$host" -o '%T' 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.5
  done
  if [ "$state" != idle ]; then
    echo "slurm-local: the node is \"${state:-unknown}\", not idle, after 60 s; the logs:" >&2
    tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" "$DIR/log/munged.log" >&2 || true
    stop >&2
    exit 1
  fi
  say "node $host idle ($(sinfo -h -N -n "$host" -o '%c CPUs, %m MB')); export SLURM_CONF=$CONF"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
