#!/usr/bin/env bash
# Installs the Debian packages the tests drive (real peers, and the PostgreSQL server the store
# tests start a throw-away cluster of: tests/pg_cluster.py), when missing.
set -euo pipefail
need=()
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
command -v baresip >/dev/null || need+=(baresip)
command -v chromium >/dev/null || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "missing Debian packages: ${need[*]} (run as root or install them)"; exit 1; fi
  echo "installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
