#!/usr/bin/env bash
# Installs the Debian packages the tests drive (real peers, and the PostgreSQL server the store
# tests start a throw-away cluster of: tests/pg_cluster.py; Kamailio, the SIP edge of
# `dialphone cluster up` and its tests), when missing.
set -euo pipefail
need=()
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
command -v baresip >/dev/null || need+=(baresip)
command -v chromium >/dev/null || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v kamailio >/dev/null || [ -x /usr/sbin/kamailio ] || need+=(kamailio)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "missing Debian packages: ${need[*]} (run as root or install them)"; exit 1; fi
  echo "installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian enables and starts its own kamailio service (all interfaces, port 5060): the cluster and
  # the tests run their own Kamailio on the project's configuration, so that one is stopped.
  if [[ " ${need[*]} " == *" kamailio "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable --now kamailio >/dev/null 2>&1 || true
  fi
fi
