#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests need, if any is missing: chromium (a real VS Code
# workbench runs in it), ripgrep (stands in for @vscode/ripgrep's download), krb5 headers and
# pkg-config (code-server's native dependencies), curl (health checks). Needs root and apt-get.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v rg >/dev/null || need+=(ripgrep)
[ -e /usr/include/gssapi/gssapi.h ] || need+=(libkrb5-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v curl >/dev/null || need+=(curl)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-system-deps: missing ${need[*]}; install these Debian packages (as root: apt-get install ${need[*]})" >&2
  exit 1
fi
echo "apt-get install ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
