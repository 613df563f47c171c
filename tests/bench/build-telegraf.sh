#!/usr/bin/env bash
# Builds Telegraf from its Go module into the per-machine cache, once, with only the plugins the
# ingest benchmark's reference stack uses (MQTT consumer, InfluxDB v2 output, JSON parsers): the
# `custom` tag turns every other plugin off, so the build takes about a minute instead of ten.
# Nothing is downloaded but Go modules from the Go module proxy. Prints the binary path last.
set -euo pipefail

VERSION="${TELEGRAF_VERSION:-v1.37.2}"
CACHE_ROOT="${COLDCHAIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/coldchain}"
DEST="$CACHE_ROOT/telegraf-$VERSION"
BIN="$DEST/bin/telegraf"
LOCK="$CACHE_ROOT/telegraf-$VERSION.lock"

mkdir -p "$CACHE_ROOT"
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

log() { printf '[telegraf-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# One build per machine at a time: a second caller waits here, then finds the binary.
exec 9>"$LOCK"
if ! flock -n 9; then
  log "another process is building telegraf $VERSION; waiting for it"
  flock 9
fi
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

command -v go >/dev/null || { log "missing tool: go (install it and retry)"; exit 1; }
start=$(date +%s)
log "building Telegraf $VERSION into $DEST (once per machine)"
mkdir -p "$DEST/bin"
# Built outside any module so that the repository's go.work/go.mod (if any) play no part.
# The version is stamped as Telegraf's Makefile does, so that `telegraf --version` names it.
(cd "$DEST" && GOBIN="$DEST/bin" GOFLAGS=-mod=mod go install -trimpath \
  -tags "custom,inputs.mqtt_consumer,outputs.influxdb_v2,parsers.json_v2,parsers.json" \
  -ldflags "-X github.com/influxdata/telegraf/internal.Version=${VERSION#v}" \
  "github.com/influxdata/telegraf/cmd/telegraf@$VERSION")
[ -x "$BIN" ] || { log "go install finished but $BIN is missing"; exit 1; }
log "done in $(( $(date +%s) - start ))s"
echo "$BIN"
