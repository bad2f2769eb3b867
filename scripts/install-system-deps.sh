#!/usr/bin/env bash
# Installs the Debian packages the project needs, if any is missing, and says why before it does:
#   --for workbench  ripgrep (stands in for @vscode/ripgrep's download), krb5 headers and pkg-config
#                    (code-server's native dependencies): enough to open the labeling workbench
#   --for tests      (the default) also chromium (the end-to-end tests drive a real workbench in it),
#                    curl (health checks), slurm-wlm and munge (the scale-out recipe runs on a
#                    single-node Slurm: scripts/slurm-local.sh), Mesa's Vulkan drivers 23 or newer and
#                    the Vulkan loader (the WebGPU parity tests run on Mesa's software adapter,
#                    lavapipe; Debian 12 has them in bookworm-backports)
# Needs root and apt-get. When another process holds apt's lock (an unattended upgrade, another
# install), it waits for it with progress, up to SECREVIEW_APT_LOCK_WAIT seconds (default 300), then
# says who holds it and what to do.
set -euo pipefail
purpose=tests
if [ "${1:-}" = --for ]; then purpose=${2:-}; fi
case "$purpose" in
  workbench|tests) ;;
  *) echo "install-system-deps: unknown --for '$purpose' (workbench or tests)" >&2; exit 2 ;;
esac

need=()
command -v rg >/dev/null || need+=(ripgrep)
[ -e /usr/include/gssapi/gssapi.h ] || need+=(libkrb5-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
mesa=()
if [ "$purpose" = tests ]; then
  command -v chromium >/dev/null || need+=(chromium)
  command -v curl >/dev/null || need+=(curl)
  { command -v slurmctld && command -v slurmd && command -v sbatch; } >/dev/null || need+=(slurm-wlm)
  command -v munged >/dev/null || need+=(munge)
  # Dawn (onnxruntime's WebGPU) needs Mesa 23 or newer; Debian 12 ships 22.3 and has 25 in backports.
  mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  { [ -n "$mesa_version" ] && dpkg --compare-versions "$mesa_version" ge 23 && ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; } \
    || mesa=(mesa-vulkan-drivers libvulkan1)
fi
[ ${#need[@]} -eq 0 ] && [ ${#mesa[@]} -eq 0 ] && exit 0
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  missing=("${need[@]}" "${mesa[@]}")
  echo "install-system-deps: missing ${missing[*]}; install these Debian packages (as root:${need[*]:+ apt-get install ${need[*]}}${mesa[*]:+${need[*]:+;} Mesa 23 or newer, on Debian 12 from backports: apt-get install -t bookworm-backports ${mesa[*]}})" >&2
  exit 1
fi
if [ "$purpose" = workbench ]; then
  echo "code-server needs the Debian packages ${need[*]} (its search tool and native modules): installing them with apt-get."
else
  echo "The tests need the Debian packages ${need[*]} ${mesa[*]} (chromium runs the workbench of the end-to-end tests, slurm-wlm and munge a single-node Slurm for the scale-out tests, Mesa's Vulkan driver the WebGPU tests, the rest is for code-server): installing them with apt-get."
fi

wait_limit=${SECREVIEW_APT_LOCK_WAIT:-300}
# Runs apt-get; while another process holds one of apt's locks, waits and retries (apt says who holds it).
apt() {
  local started=$SECONDS next_note=0 out status holder waited
  while :; do
    status=0
    out=$(DEBIAN_FRONTEND=noninteractive apt-get "$@" 2>&1) || status=$?
    [ $status -eq 0 ] && return 0
    holder=$(printf '%s\n' "$out" | grep -m1 -o 'Could not get lock .*' || true)
    if [ -z "$holder" ]; then
      printf '%s\n' "$out" >&2
      echo "install-system-deps: apt-get $1 failed (exit $status)." >&2
      return $status
    fi
    waited=$((SECONDS - started))
    if [ $waited -ge "$wait_limit" ]; then
      echo "install-system-deps: apt is still busy after ${waited} s: ${holder#Could not get lock }" >&2
      echo "Wait for that process to finish (or stop it), then run the command again; nothing was installed." >&2
      return 1
    fi
    if [ $waited -ge $next_note ]; then
      echo "waiting for apt's lock (${holder#Could not get lock }): ${waited} s of at most ${wait_limit} s"
      next_note=$((waited + 10))
    fi
    sleep 2
  done
}
# The Slurm and munge packages start their services when installed, and fail the install where that
# start fails (slurmctld has no configuration yet). Our tests start their own daemons, so keep the
# packages from starting any, as Debian's container images do, unless the machine already says.
if [ "$purpose" = tests ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
release=()
if [ ${#mesa[@]} -gt 0 ] && [ "$codename" = bookworm ]; then
  grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ \
    || echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/bookworm-backports.list
  release=(-t bookworm-backports)
fi
apt update -qq
[ ${#need[@]} -eq 0 ] || apt install -y -qq --no-install-recommends "${need[@]}"
[ ${#mesa[@]} -eq 0 ] || apt install -y -qq --no-install-recommends "${release[@]}" "${mesa[@]}"
echo "installed ${need[*]} ${mesa[*]}"
