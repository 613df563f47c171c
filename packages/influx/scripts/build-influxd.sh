#!/usr/bin/env bash
# Builds InfluxDB OSS 2.x (influxd) from its Go module into a per-machine cache,
# once. Nothing is downloaded but Go modules and Rust crates from their registries.
#
#   scripts/build-influxd.sh            # builds if missing, prints the binary path last
#
# Why it is done this way:
# - `go install …@version` is refused: InfluxDB's go.mod has `replace` lines, so
#   the module is downloaded, copied out of the module cache and built in place.
# - Flux's standard library is Rust (libflux). InfluxData's pkg-config wrapper
#   (scripts/pkg-config.sh in the module) runs `cargo build --release` for it.
# - flux pins an old Rust toolchain; with no network for rustup we use the
#   installed stable one and cap lints, since libflux denies warnings that newer
#   rustc versions raise.
# - InfluxDB's Makefile is not used: it downloads the web UI. Without `-tags
#   assets` the UI is stubbed and the HTTP API works.
set -euo pipefail

VERSION="${INFLUXD_VERSION:-v2.7.12}"
CACHE_ROOT="${COLDCHAIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/coldchain}"
DEST="$CACHE_ROOT/influxdb-$VERSION"
BIN="$DEST/bin/influxd"
LOCK="$CACHE_ROOT/influxdb-$VERSION.lock"

mkdir -p "$CACHE_ROOT"
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

log() { printf '[influxd-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# One build per machine at a time: a second caller waits here, then finds the binary.
exec 9>"$LOCK"
if ! flock -n 9; then
  log "another process is building influxd $VERSION; waiting for it"
  flock 9
fi
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

for tool in go cargo gcc pkg-config; do
  command -v "$tool" >/dev/null || { log "missing tool: $tool (install it and retry)"; exit 1; }
done

start=$(date +%s)
log "building InfluxDB OSS $VERSION into $DEST (once per machine; 20-30 min on 2 cores)"
log "step 1/3: downloading the Go module github.com/influxdata/influxdb/v2@$VERSION"
modjson=$(cd "$CACHE_ROOT" && GOFLAGS=-mod=mod go mod download -json "github.com/influxdata/influxdb/v2@$VERSION")
moddir=$(printf '%s' "$modjson" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$moddir" ] || { log "go mod download gave no source folder"; printf '%s\n' "$modjson" >&2; exit 1; }

SRC="$DEST/src"
rm -rf "$SRC"; mkdir -p "$DEST/bin"
cp -r "$moddir" "$SRC"
chmod -R u+w "$SRC"
# Module zips drop execute bits.
chmod +x "$SRC/scripts/pkg-config.sh"

log "step 2/3: go build ./cmd/influxd (compiles libflux with cargo through pkg-config; progress below)"
export PKG_CONFIG="$SRC/scripts/pkg-config.sh"
export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-stable}"
# libflux denies warnings, and each newer rustc adds lints that break it. RUSTFLAGS cannot cap
# them: the wrapper passes `--target`, and then RUSTFLAGS skips host artifacts, where flux-core is
# also compiled (as a build dependency of flux). A rustc wrapper caps lints on every invocation.
WRAPPER="$DEST/rustc-cap-lints"
cat > "$WRAPPER" <<'WRAP'
#!/bin/sh
# Called by cargo as: wrapper rustc ARGS...
case " $* " in
  *" --cap-lints "*) exec "$@" ;;
  *) exec "$@" --cap-lints warn ;;
esac
WRAP
chmod +x "$WRAPPER"
export RUSTC_WRAPPER="$WRAPPER"
export CGO_ENABLED=1
# `go build -v` names each package as it compiles it: that is the progress line. The libflux
# cargo build runs inside the step for github.com/influxdata/flux/libflux/go/libflux (several
# minutes without output).
(cd "$SRC" && go build -v -ldflags "-X main.version=$VERSION -X main.commit=module-build" -o "$BIN.tmp" ./cmd/influxd 2>&1 | while IFS= read -r line; do
   [ -n "$line" ] && log "$line"
 done; exit "${PIPESTATUS[0]}")
mv "$BIN.tmp" "$BIN"

log "step 3/3: checking the binary"
"$BIN" version >&2
rm -rf "$SRC"
log "done in $(( $(date +%s) - start )) s"
echo "$BIN"
