#!/usr/bin/env bash
# The interoperability tests and the broker benchmark use Mosquitto's clients and broker, and the
# broker's Redis persistence test a Redis server, the store's contract test a throwaway PostgreSQL
# cluster (Debian's server, with btree_gist among its bundled extensions), and the TLS test makes
# its certificate with the openssl command, and the dashboard's tests drive Debian's Chromium (with
# CJK fonts for the zh-CN pages), all from Debian's packages. Installs them when missing (needs
# root or passwordless sudo); never a browser download.
set -euo pipefail
missing=()
command -v mosquitto_pub >/dev/null || missing+=(mosquitto-clients)
[ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v openssl >/dev/null || missing+=(openssl)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
compgen -G '/usr/share/fonts/opentype/noto/NotoSansCJK*' >/dev/null || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "[setup] installing ${missing[*]} from Debian's packages"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
