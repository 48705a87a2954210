#!/usr/bin/env bash
# Builds the TEST-ONLY kafka resource plugin of tests/e2e/test_provider_race.py: the stand-in pulumi-resource-kafka
# of scripts/setup-pulumi.sh (build_kafka_substitute; same sources, versions and flags) with IBM/sarama replaced by
# a copy patched with sarama-race.patch. With KAA_TEST_RACE_MARKER=<path> naming a file that does not exist, the
# first plugin process to start creates the file and sleeps 300 ms in every Broker.Open right after it marks the
# broker opened, so the provider's connection race (docs/pulumi.md, "A race in the kafka provider") happens on
# every run of that process; every other process, and any process without the variable, behaves as the stock one.
#
# Cached outside the repo, keyed by the patch, this script, the stand-in's sources and the Go version:
#   $KAA_CACHE/pulumi/test-race-plugin-<kafka version>-sarama<version>-<key>/pulumi-resource-kafka
# It uses Go's default module and build caches, which setup-pulumi.sh filled when it built the stand-in, so only
# sarama, what imports it and the two links are rebuilt. Idempotent; the last line on stdout is the binary.
# Never used by the toolkit itself: only tests install it, in a private PULUMI_HOME.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
standin="$repo/scripts/standins/pulumi-resource-kafka"
patch_file="$here/sarama-race.patch"
export KAA_CACHE="${KAA_CACHE:-$HOME/.cache/kafka-active-active}"

log() { echo "race_plugin/build.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v go >/dev/null || die "Go is required (as for scripts/setup-pulumi.sh) and was not found on PATH"
command -v patch >/dev/null || die "patch(1) is required and was not found on PATH"
setting() { sed -n "s/^$1=\\([^[:space:]]*\\).*/\\1/p" "$repo/scripts/setup-pulumi.sh" | head -1; }
kafka_version="$(setting KAFKA_VERSION)"
[ -n "$kafka_version" ] || die "no KAFKA_VERSION= line in scripts/setup-pulumi.sh"
sarama_version="$(awk '$1 == "github.com/IBM/sarama" {print $2; exit}' "$standin/go.mod")"
[ -n "$sarama_version" ] || die "$standin/go.mod does not require github.com/IBM/sarama"

key="$( { cat "$patch_file" "${BASH_SOURCE[0]}"; go version; echo "$kafka_version $sarama_version";
          (cd "$standin" && find . -type f | LC_ALL=C sort | xargs sha256sum); } | sha256sum | cut -c1-16)"
out="$KAA_CACHE/pulumi/test-race-plugin-$kafka_version-sarama$sarama_version-$key"
binary="$out/pulumi-resource-kafka"
if [ -f "$out/.complete" ] && [ -x "$binary" ]; then echo "$binary"; exit 0; fi

mkdir -p "$out"
exec 9>"$out.lock"
flock 9
if [ -f "$out/.complete" ] && [ -x "$binary" ]; then echo "$binary"; exit 0; fi   # built while we waited

started=$SECONDS
export GOFLAGS="-mod=mod -buildvcs=false"   # go.mod gains a replace; go.sum needs nothing for a local dir
build="$out/build"
rm -rf "$build" "$out/.complete"
trap 'rm -rf "$build" "$binary.tmp"' EXIT   # the build tree is only needed while building
cp -r "$standin" "$build"
chmod -R u+w "$build"
sarama_dir="$(cd "$build" && go mod download -json "github.com/IBM/sarama@$sarama_version" |
              sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
[ -d "$sarama_dir" ] || die "cannot download github.com/IBM/sarama@$sarama_version"
cp -r "$sarama_dir" "$build/sarama-patched"
chmod -R u+w "$build/sarama-patched"
(cd "$build/sarama-patched" && patch -p1 --forward --fuzz=0 --quiet <"$patch_file") ||
  die "sarama-race.patch does not apply to github.com/IBM/sarama@$sarama_version"
echo "replace github.com/IBM/sarama => ./sarama-patched" >>"$build/go.mod"

vflag="-X main.version=$kafka_version"
log "building the test-only pulumi-resource-kafka $kafka_version (sarama $sarama_version + sarama-race.patch) in $out"
mkdir -p "$build/gen"
(cd "$build" && go build -trimpath -ldflags "-s -w $vflag" -o gen/pulumi-tfgen-kafka ./cmd/pulumi-tfgen-kafka)
(cd "$build/gen" && ./pulumi-tfgen-kafka schema --out . >/dev/null)
cp "$build/gen/bridge-metadata.json" "$build/prov/bridge-metadata.json"
python3 - "$build/gen/schema.json" "$build/cmd/pulumi-resource-kafka/schema-embed.json" "$kafka_version" <<'EOF'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["version"] = sys.argv[3]
with open(sys.argv[2], "w") as f:
    json.dump(spec, f, separators=(",", ":"))
EOF
(cd "$build" && go build -trimpath -ldflags "-s -w $vflag" -o "$binary.tmp" ./cmd/pulumi-resource-kafka)
go version -m "$binary.tmp" | grep -qE "=>[[:space:]]+\./sarama-patched" ||
  die "the built plugin does not use the patched sarama"
mv -f "$binary.tmp" "$binary"
rm -rf "$build"
touch "$out/.complete"
log "done in $((SECONDS - started))s: $binary"
echo "$binary"
