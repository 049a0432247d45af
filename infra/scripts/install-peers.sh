#!/usr/bin/env bash
# Installs the tools the `peers` benchmark runs beside the portal CLI (Debian packages): restic, git, openssl and
# GNU time (peak memory of each command). Needs root; prints what is already there otherwise.
set -euo pipefail
missing=()
for tool in restic git openssl; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -eq 0 ]; then
  echo "restic, git, openssl and time are installed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "missing: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
