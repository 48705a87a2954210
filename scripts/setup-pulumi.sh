#!/usr/bin/env bash
# Provides the Pulumi engine the toolkit runs on: the `pulumi` CLI, the Python language host and its shims
# (pulumi-language-python-exec, pulumi-resource-pulumi-python), and the kafka resource plugin
# (pulumi-resource-kafka), all in one bin dir cached by version outside the repo:
#
#   $KAA_CACHE/pulumi/<cli version>-kafka<plugin version>/bin      (KAA_CACHE defaults to ~/.cache/kafka-active-active)
#
# What is built, is built with the installed Go from the Go module proxy (no Pulumi installer or download site
# is used). Idempotent: when the bin dir is complete it prints it and exits at once. The last line on stdout is the
# bin dir; progress goes to stderr. Use it through scripts/pulumi-env.sh.
#
#   scripts/setup-pulumi.sh            build what is missing, print the bin dir
#   scripts/setup-pulumi.sh --bin-dir  only print the bin dir (no check, no build)
#   scripts/setup-pulumi.sh --check    exit 0 if the bin dir is complete, 1 if not
#   scripts/setup-pulumi.sh --supports VERSION   exit 0 if a user's pulumi of that version is used as is
#
# A `pulumi` on PATH within PULUMI_MIN_VERSION..PULUMI_MAX_VERSION (below) is used instead of a build, with the
# language host and shims beside it and the kafka plugin of its Pulumi home when they are there; only what is
# missing is built. The log says which one is used and VERSIONS beside the bin dir records it.
#
# Where a module cannot be had from the proxy (the language host and the kafka provider have no tags and are
# fetched by commit), a stand-in is built instead and named in $root/SUBSTITUTES; see build_pyhost_substitute and
# build_kafka_substitute. Set KAA_PULUMI_PYHOST_VERSION / KAA_KAFKA_PROVIDER_VERSION to a module version (e.g. a
# pseudo-version) to force the real module.
set -euo pipefail

PULUMI_VERSION=3.274.1
KAFKA_VERSION=3.12.3
KAFKA_COMMIT=ddbb5a1b63dac630cfc4509b4dc2151f54d3eecc
# Versions the kafka stand-in is built from: the ones pulumi-kafka 3.12.3 pins at that commit.
KAFKA_TF_PROVIDER_VERSION=v0.13.1
KAFKA_BRIDGE_VERSION=v3.120.0
KAFKA_PLUGIN_SDK_FORK=v2.0.0-20250923233607-7f1981c8674a

PKG_MOD=github.com/pulumi/pulumi/pkg/v3
SDK_MOD=github.com/pulumi/pulumi/sdk/v3
PYHOST_MOD=github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3
KAFKA_MOD=github.com/pulumi/pulumi-kafka/provider/v3

export KAA_CACHE="${KAA_CACHE:-$HOME/.cache/kafka-active-active}"
root="$KAA_CACHE/pulumi/${PULUMI_VERSION}-kafka${KAFKA_VERSION}"
bin="$root/bin"
pulumi_home="${KAA_PULUMI_HOME:-$KAA_CACHE/pulumi-home}"
required=(pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python pulumi-resource-kafka)

log() { echo "setup-pulumi: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

bin_complete() {
  [ -f "$bin/.complete" ] || return 1
  local f
  for f in "${required[@]}"; do [ -x "$bin/$f" ] || return 1; done
}
plugin_installed() { [ -d "$pulumi_home/plugins/resource-kafka-v$KAFKA_VERSION" ]; }
is_complete() { bin_complete && plugin_installed; }

# Registers the kafka plugin in PULUMI_HOME at its exact version, for `pulumi plugin ls` and version matching
# (pulumi-env.sh makes the CLI ignore plugins found on PATH).
install_plugin() {
  mkdir -p "$pulumi_home"
  rm -rf "$pulumi_home/plugins/resource-kafka-v$KAFKA_VERSION" "$pulumi_home/plugins/resource-kafka-v$KAFKA_VERSION.lock"
  PULUMI_HOME="$pulumi_home" PULUMI_SKIP_UPDATE_CHECK=true \
    "$bin/pulumi" plugin install resource kafka "$KAFKA_VERSION" --file "$bin/pulumi-resource-kafka" >&2
}

# A user's own `pulumi` is used when PULUMI_MIN_VERSION <= its version < PULUMI_MAX_VERSION: the minimum is the
# Python SDK that requirements.txt pins (a CLI older than its SDK may lack engine features the SDK uses; a newer
# CLI with an older SDK is what Pulumi supports), the maximum the next major version.
PULUMI_MIN_VERSION=3.272.0
PULUMI_MAX_VERSION=4.0.0

version_key() {   # "v3.274.1" / "3.274.1-dev.0" -> "0003.0274.0001"; nothing for what is not a version
  [[ "$1" =~ ^v?([0-9]+)\.([0-9]+)\.([0-9]+) ]] || return 1
  printf '%04d.%04d.%04d' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
}
version_supported() {   # version_supported VERSION: 0 when the toolkit runs on a CLI of that version
  local key min max
  key="$(version_key "$1")" || return 1
  min="$(version_key "$PULUMI_MIN_VERSION")"; max="$(version_key "$PULUMI_MAX_VERSION")"
  [[ ! "$key" < "$min" ]] && [[ "$key" < "$max" ]]
}

# The user's `pulumi` on PATH when its version is supported (not our own bin dir); nothing otherwise.
ambient_pulumi() {
  local found ver
  found="$(command -v pulumi 2>/dev/null)" || return 0
  found="$(readlink -f "$found")"
  [ "$found" = "$(readlink -f "$bin/pulumi" 2>/dev/null || true)" ] && return 0   # ours, via pulumi-env.sh
  ver="$("$found" version 2>/dev/null || echo '?')"
  if version_supported "$ver"; then
    echo "$found"
  else
    log "not using $found: its version $ver is outside $PULUMI_MIN_VERSION <= version < $PULUMI_MAX_VERSION"
  fi
}

# The kafka plugin at our exact version from the user's own Pulumi home ($PULUMI_HOME or ~/.pulumi), if any.
user_kafka_plugin() {
  local home="${PULUMI_HOME:-$HOME/.pulumi}" f
  [ "$(readlink -f "$home")" = "$(readlink -f "$pulumi_home" 2>/dev/null || echo "$pulumi_home")" ] && return 0
  f="$home/plugins/resource-kafka-v$KAFKA_VERSION/pulumi-resource-kafka"
  if [ -x "$f" ]; then echo "$f"; fi
}

case "${1:-}" in
  --bin-dir) echo "$bin"; exit 0 ;;
  --check) is_complete; exit $? ;;
  --supports) version_supported "${2:-}"; exit $? ;;
  "") ;;
  *) echo "usage: scripts/setup-pulumi.sh [--bin-dir|--check|--supports VERSION]" >&2; exit 2 ;;
esac

if is_complete; then echo "$bin"; exit 0; fi
if bin_complete; then install_plugin; echo "$bin"; exit 0; fi   # only PULUMI_HOME was wiped

# Go is needed only for what must be built (a user's supported pulumi and its plugins need none).
require_go() { command -v go >/dev/null || die "Go is required to build the Pulumi engine and was not found on PATH"; }
command -v python3 >/dev/null || die "python3 is required"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
case " $GOFLAGS " in *" -buildvcs=false "*) ;; *) export GOFLAGS="$GOFLAGS -buildvcs=false" ;; esac

mkdir -p "$root"
exec 9>"$root.lock"
flock 9
if is_complete; then echo "$bin"; exit 0; fi   # another run finished it while we waited

started=$SECONDS
mkdir -p "$bin"
rm -f "$bin/.complete" "$root/SUBSTITUTES"
src="$root/src"          # writable copies of the downloaded modules, laid out as in the upstream repos
rm -rf "$src"
mkdir -p "$src"
substitute() { echo "$1" >>"$root/SUBSTITUTES"; log "WARNING: using a stand-in for $1"; }
record() { echo "$1" >>"$root/VERSIONS.tmp"; }
rm -f "$root/VERSIONS.tmp"

# go mod download -json MOD@VER; prints "Dir Version" on success, nothing (status 1) on failure.
mod_download() {
  require_go
  local out
  out="$(go mod download -json "$1" 2>/dev/null)" || return 1
  printf '%s' "$out" | grep -q '"Error"' && return 1
  local dir ver
  dir="$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  ver="$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Version": "\(.*\)",\{0,1\}$/\1/p')"
  [ -n "$dir" ] && [ -d "$dir" ] || return 1
  echo "$dir $ver"
}

# Copies a module out of the read-only module cache into the build tree.
copy_mod() {
  rm -rf "$2"
  mkdir -p "$(dirname "$2")"
  cp -r "$1" "$2"
  chmod -R u+w "$2"
}

# The stand-ins' Go sources live in scripts/standins/<name>/ (go.mod, go.sum, gofmt'd, `go vet` clean); a build
# copies one into the build tree, after checking that its go.mod pins the versions this script names.
standins="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/standins"
copy_standin() {   # copy_standin NAME DEST "module version"...
  local name="$1" dest="$2" pin; shift 2
  [ -f "$standins/$name/go.mod" ] || die "$standins/$name/go.mod is missing"
  for pin in "$@"; do
    grep -qF "$pin" "$standins/$name/go.mod" || die "$standins/$name/go.mod does not pin $pin (this script's version)"
  done
  copy_mod "$standins/$name" "$dest"
}

go_build() {   # go_build DIR OUT PKG [ldflags...]
  require_go
  local dir="$1" out="$2" pkg="$3"; shift 3
  (cd "$dir" && go build -trimpath -ldflags "-s -w $*" -o "$out" "$pkg")
}

# --- the Pulumi modules: pkg (CLI) and sdk (shims, language host support), downloaded only when needed ---------
# The pulumi repo layout: pkg/ and sdk/ side by side (pkg's go.mod has `replace .../sdk/v3 => ../sdk`), the
# language host in sdk/python/cmd/pulumi-language-python (replaces ../../.. and ../../../../pkg).
pkg_dir="" sdk_dir=""
need_pkg() {
  [ -n "$pkg_dir" ] && return
  read -r pkg_dir _ < <(mod_download "$PKG_MOD@v$PULUMI_VERSION") || die "cannot download $PKG_MOD@v$PULUMI_VERSION"
  copy_mod "$pkg_dir" "$src/pulumi/pkg"
}
need_sdk() {
  [ -n "$sdk_dir" ] && return
  read -r sdk_dir _ < <(mod_download "$SDK_MOD@v$PULUMI_VERSION") || die "cannot download $SDK_MOD@v$PULUMI_VERSION"
  copy_mod "$sdk_dir" "$src/pulumi/sdk"
}
version_ldflag="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"

# --- CLI: the user's own when it fits, else built ----------------------------------------------------------
ambient="$(ambient_pulumi)"
if [ -n "$ambient" ]; then
  log "using the pulumi on PATH: $ambient ($("$ambient" version)); supported: $PULUMI_MIN_VERSION <= version < $PULUMI_MAX_VERSION"
  ln -sfn "$ambient" "$bin/pulumi"
  record "pulumi CLI: $ambient (on PATH, $("$ambient" version))"
  # An official install keeps its language host and Python shims beside the CLI: take them when they are there.
  for f in pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python pulumi-analyzer-policy-python; do
    if [ -x "$(dirname "$ambient")/$f" ]; then
      ln -sfn "$(dirname "$ambient")/$f" "$bin/$f"
      record "$f: beside $ambient"
    fi
  done
elif [ -x "$bin/pulumi" ] && [ ! -L "$bin/pulumi" ] && [ "$("$bin/pulumi" version 2>/dev/null)" = "v$PULUMI_VERSION" ]; then
  log "pulumi CLI v$PULUMI_VERSION already built"
  record "pulumi CLI: $PKG_MOD@v$PULUMI_VERSION (./cmd/pulumi)"
else
  need_sdk
  need_pkg
  record "pulumi CLI: $PKG_MOD@v$PULUMI_VERSION (./cmd/pulumi)"
  log "building pulumi CLI v$PULUMI_VERSION (several minutes on 2 cores)"
  go_build "$src/pulumi/pkg" "$bin/pulumi.tmp" ./cmd/pulumi "$version_ldflag"
  mv -f "$bin/pulumi.tmp" "$bin/pulumi"
fi

# --- Python shims from the sdk module ----------------------------------------------------------------------
if ! [ -x "$bin/pulumi-language-python-exec" ] || ! [ -x "$bin/pulumi-resource-pulumi-python" ] || [ -z "$ambient" ]; then
  need_sdk
  install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$bin/pulumi-language-python-exec"
  install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$bin/pulumi-resource-pulumi-python"
  # Policy packs: older SDKs shipped a pulumi-analyzer-policy-python shim. The 3.274 sdk module has none: the CLI
  # runs Python policy packs through the language host (RunPlugin) and only falls back to that shim without one.
  if [ -f "$sdk_dir/python/dist/pulumi-analyzer-policy-python" ]; then
    install -m 0755 "$sdk_dir/python/dist/pulumi-analyzer-policy-python" "$bin/pulumi-analyzer-policy-python"
  fi
  record "python shims: $SDK_MOD@v$PULUMI_VERSION python/cmd/pulumi-language-python-exec, python/dist/pulumi-resource-pulumi-python"
fi

# --- Python language host ----------------------------------------------------------------------------------
# The module has no tags: its version is the pseudo-version of the commit pkg/v3 v$PULUMI_VERSION was built from,
# which the proxy gives as Origin.Hash in the .info of that version.
resolve_pyhost() {
  if [ -n "${KAA_PULUMI_PYHOST_VERSION:-}" ]; then
    mod_download "$PYHOST_MOD@$KAA_PULUMI_PYHOST_VERSION"
    return
  fi
  local info hash
  need_pkg
  info="$(go env GOMODCACHE)/cache/download/github.com/pulumi/pulumi/pkg/v3/@v/v$PULUMI_VERSION.info"
  hash="$(grep -o '"Hash"[[:space:]]*:[[:space:]]*"[0-9a-f]\{40\}"' "$info" 2>/dev/null | grep -o '[0-9a-f]\{40\}' || true)"
  if [ -z "$hash" ]; then
    log "the proxy's .info for $PKG_MOD@v$PULUMI_VERSION has no Origin hash: cannot locate the language host commit"
    return 1
  fi
  mod_download "$PYHOST_MOD@$hash"
}

build_pyhost_real() {   # build_pyhost_real MODDIR VERSION
  local dir="$src/pulumi/sdk/python/cmd/pulumi-language-python"
  need_sdk
  need_pkg
  copy_mod "$1" "$dir"
  log "building pulumi-language-python ($PYHOST_MOD@$2)"
  go_build "$dir" "$bin/pulumi-language-python.tmp" . "$version_ldflag"
  mv -f "$bin/pulumi-language-python.tmp" "$bin/pulumi-language-python"
  record "python language host: $PYHOST_MOD@$2"
}

# Stand-in language host: a small LanguageRuntime server over the sdk module's own Python toolchain support
# (python/toolchain). It runs programs through pulumi-language-python-exec in the project's virtualenv, reports
# required plugins from the pulumi-plugin.json files installed there, and runs Python plugins (policy packs).
# It does not implement code generation (pulumi convert/import, package gen-sdk) or `pulumi new` templates.
build_pyhost_substitute() {
  local dir="$src/kaa-language-python"
  copy_standin pulumi-language-python "$dir" "$SDK_MOD v$PULUMI_VERSION"
  log "building the stand-in pulumi-language-python (over $SDK_MOD@v$PULUMI_VERSION)"
  go_build "$dir" "$bin/pulumi-language-python.tmp" . "$version_ldflag"
  mv -f "$bin/pulumi-language-python.tmp" "$bin/pulumi-language-python"
  substitute "pulumi-language-python: stand-in (scripts/standins/pulumi-language-python) over $SDK_MOD@v$PULUMI_VERSION ($PYHOST_MOD could not be fetched; Pulumi's own host from $SDK_MOD@v3.68.0 was tried with this CLI and fails the policy-pack tests: docs/pulumi.md)"
  record "python language host: stand-in (scripts/standins/pulumi-language-python) over $SDK_MOD@v$PULUMI_VERSION"
}

if [ -x "$bin/pulumi-language-python" ] && [ -n "$ambient" ]; then
  record "python language host: beside $ambient"
elif pyhost="$(resolve_pyhost)"; then
  read -r pyhost_dir pyhost_version <<<"$pyhost"
  build_pyhost_real "$pyhost_dir" "$pyhost_version"
else
  log "$PYHOST_MOD at the commit of v$PULUMI_VERSION cannot be had from the Go module proxy"
  build_pyhost_substitute
fi

# --- kafka resource plugin ---------------------------------------------------------------------------------
# Writes schema-embed.json from schema.json with the plugin version set (what the provider's go:generate does).
embed_schema() {   # embed_schema SCHEMA_JSON OUT
  python3 - "$1" "$2" "$KAFKA_VERSION" <<'EOF'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["version"] = sys.argv[3]
with open(sys.argv[2], "w") as f:
    json.dump(spec, f, separators=(",", ":"))
EOF
}

resolve_kafka() {
  mod_download "$KAFKA_MOD@${KAA_KAFKA_PROVIDER_VERSION:-$KAFKA_COMMIT}"
}

build_kafka_real() {   # build_kafka_real MODDIR VERSION
  local dir="$src/pulumi-kafka/provider"
  copy_mod "$1" "$dir"
  log "building pulumi-resource-kafka $KAFKA_VERSION ($KAFKA_MOD@$2)"
  if ! (cd "$dir/cmd/pulumi-resource-kafka" && VERSION="$KAFKA_VERSION" go generate . >&2); then
    log "go generate failed; writing schema-embed.json directly"
    embed_schema "$dir/cmd/pulumi-resource-kafka/schema.json" "$dir/cmd/pulumi-resource-kafka/schema-embed.json"
  fi
  go_build "$dir" "$bin/pulumi-resource-kafka.tmp" ./cmd/pulumi-resource-kafka \
    "-X github.com/pulumi/pulumi-kafka/provider/v3/pkg/version.Version=$KAFKA_VERSION"
  mv -f "$bin/pulumi-resource-kafka.tmp" "$bin/pulumi-resource-kafka"
  record "kafka plugin: $KAFKA_MOD@$2 (commit $KAFKA_COMMIT) as $KAFKA_VERSION"
}

# Stand-in kafka plugin: the same bridge of the same Terraform provider that pulumi-kafka 3.12.3 is
# (Mongey/terraform-provider-kafka v0.13.1 through pulumi-terraform-bridge v3.120.0 and Pulumi's
# terraform-plugin-sdk fork), with the token mapping the published SDKs use (package kafka, module index; Acl's
# resource_name/resource_type renamed aclResourceName/aclResourceType; config defaults from KAFKA_* env vars).
# Its schema is generated at build time by tfgen from the Terraform provider, as upstream does.
build_kafka_substitute() {
  local dir="$src/kaa-kafka-provider"
  copy_standin pulumi-resource-kafka "$dir" "github.com/Mongey/terraform-provider-kafka $KAFKA_TF_PROVIDER_VERSION" \
    "github.com/pulumi/pulumi-terraform-bridge/v3 $KAFKA_BRIDGE_VERSION" \
    "github.com/pulumi/terraform-plugin-sdk/v2 $KAFKA_PLUGIN_SDK_FORK"
  mkdir -p "$dir/gen"
  local vflag="-X main.version=$KAFKA_VERSION"
  log "building the stand-in pulumi-resource-kafka $KAFKA_VERSION (terraform-provider-kafka $KAFKA_TF_PROVIDER_VERSION, bridge $KAFKA_BRIDGE_VERSION; several minutes)"
  go_build "$dir" "$dir/gen/pulumi-tfgen-kafka" ./cmd/pulumi-tfgen-kafka "$vflag"
  (cd "$dir/gen" && ./pulumi-tfgen-kafka schema --out . >/dev/null)
  cp "$dir/gen/bridge-metadata.json" "$dir/prov/bridge-metadata.json"
  embed_schema "$dir/gen/schema.json" "$dir/cmd/pulumi-resource-kafka/schema-embed.json"
  go_build "$dir" "$bin/pulumi-resource-kafka.tmp" ./cmd/pulumi-resource-kafka "$vflag"
  mv -f "$bin/pulumi-resource-kafka.tmp" "$bin/pulumi-resource-kafka"
  substitute "pulumi-resource-kafka: stand-in bridge build, scripts/standins/pulumi-resource-kafka ($KAFKA_MOD@$KAFKA_COMMIT could not be fetched)"
  record "kafka plugin: stand-in (scripts/standins/pulumi-resource-kafka): github.com/Mongey/terraform-provider-kafka@$KAFKA_TF_PROVIDER_VERSION via pulumi-terraform-bridge/v3@$KAFKA_BRIDGE_VERSION, as $KAFKA_VERSION"
}

user_kafka="$(user_kafka_plugin)"
if [ -n "$user_kafka" ]; then
  log "using the kafka plugin of your Pulumi: $user_kafka"
  ln -sfn "$user_kafka" "$bin/pulumi-resource-kafka"
  record "kafka plugin: $user_kafka (the user's Pulumi home)"
elif kafka="$(resolve_kafka)"; then
  read -r kafka_dir kafka_version <<<"$kafka"
  build_kafka_real "$kafka_dir" "$kafka_version"
else
  log "$KAFKA_MOD@$KAFKA_COMMIT cannot be had from the Go module proxy"
  build_kafka_substitute
fi

install_plugin

# --- check and finish --------------------------------------------------------------------------------------
got="$("$bin/pulumi" version)"
[ "$got" = "v$PULUMI_VERSION" ] || [ -n "$ambient" ] || die "pulumi version printed $got, expected v$PULUMI_VERSION"
for f in "${required[@]}"; do [ -x "$bin/$f" ] || die "$bin/$f is missing"; done
mv -f "$root/VERSIONS.tmp" "$root/VERSIONS"
rm -rf "$src"
touch "$bin/.complete"
log "done in $((SECONDS - started))s: $(du -sh "$bin" | cut -f1) in $bin"
[ -f "$root/SUBSTITUTES" ] && log "stand-ins in use (see $root/SUBSTITUTES):" && sed 's/^/  /' "$root/SUBSTITUTES" >&2
echo "$bin"
