#!/usr/bin/env bash
# Installs the Debian packages the tests need, if any is missing: chromium (a real VS Code workbench
# runs in it), ripgrep (stands in for @vscode/ripgrep's download), krb5 headers and pkg-config
# (code-server's native dependencies), curl (health checks), slurm-wlm and munge (the scale-out
# recipe runs on a single-node Slurm: scripts/slurm-local.sh), Mesa's Vulkan drivers and the Vulkan
# loader (the WebGPU parity tests run on its software adapter, lavapipe). Needs root and apt-get.
set -euo pipefail
need=()
# Dawn (onnxruntime's WebGPU) needs Mesa 23 or newer; Debian 12 ships 22.3 and has 25 in backports.
mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
mesa_ok() { [ -n "$mesa_version" ] && dpkg --compare-versions "$mesa_version" ge 23 && ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; }
mesa=()
mesa_ok || mesa=(mesa-vulkan-drivers libvulkan1)
command -v chromium >/dev/null || need+=(chromium)
command -v rg >/dev/null || need+=(ripgrep)
[ -e /usr/include/gssapi/gssapi.h ] || need+=(libkrb5-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v curl >/dev/null || need+=(curl)
{ command -v slurmctld && command -v slurmd && command -v sbatch; } >/dev/null || need+=(slurm-wlm)
command -v munged >/dev/null || need+=(munge)
[ ${#need[@]} -eq 0 ] && [ ${#mesa[@]} -eq 0 ] && exit 0
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-system-deps: missing ${need[*]} ${mesa[*]}; install these Debian packages as root (apt-get install ${need[*]}${mesa:+; Mesa 23 or newer: on Debian 12 apt-get install -t bookworm-backports ${mesa[*]}})" >&2
  exit 1
fi
echo "apt-get install ${need[*]} ${mesa[*]}"
# The Slurm and munge packages start their services when installed, and fail the install where that
# start fails (slurmctld has no configuration yet). Our tests start their own daemons, so keep the
# packages from starting any, as Debian's container images do, unless the machine already says.
if [ ! -e /usr/sbin/policy-rc.d ]; then
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
apt-get update -qq
[ ${#need[@]} -gt 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
[ ${#mesa[@]} -gt 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${release[@]}" "${mesa[@]}" >/dev/null
exit 0
