#!/usr/bin/env bash
# Installs the Debian packages the tests need, if any is missing: chromium (a real VS Code workbench
# runs in it), ripgrep (stands in for @vscode/ripgrep's download), krb5 headers and pkg-config
# (code-server's native dependencies), curl (health checks), slurm-wlm and munge (the scale-out
# recipe runs on a single-node Slurm: scripts/slurm-local.sh). Needs root and apt-get.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v rg >/dev/null || need+=(ripgrep)
[ -e /usr/include/gssapi/gssapi.h ] || need+=(libkrb5-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v curl >/dev/null || need+=(curl)
{ command -v slurmctld && command -v slurmd && command -v sbatch; } >/dev/null || need+=(slurm-wlm)
command -v munged >/dev/null || need+=(munge)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-system-deps: missing ${need[*]}; install these Debian packages (as root: apt-get install ${need[*]})" >&2
  exit 1
fi
echo "apt-get install ${need[*]}"
# The Slurm and munge packages start their services when installed, and fail the install where that
# start fails (slurmctld has no configuration yet). Our tests start their own daemons, so keep the
# packages from starting any, as Debian's container images do, unless the machine already says.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
