#!/usr/bin/env bash
# Tools the PR-preview tests need, installed once and cached by version under $KAA_CACHE:
#   $KAA_CACHE/bin/actionlint-<ver>          GitHub workflow linter, built from the Go module proxy
#   $KAA_CACHE/bin/actionlint                a link to the pinned version
#   $KAA_CACHE/node/mermaid-<ver>/           the mermaid npm package (its dist/ is loaded by a local page)
#   /usr/bin/chromium                        Debian's chromium (headless renderer); installed only if missing
#   $KAA_CACHE/strimzi-api-<ver>/            Strimzi's model jars (lib/) and StrimziCheck compiled (classes/),
#                                            from scripts/strimzi-check (checks `kaa render mm2 --format strimzi`)
# Idempotent: a warm run only checks that the files exist. No browser is downloaded by npm.
set -euo pipefail
export KAA_CACHE="${KAA_CACHE:-$HOME/.cache/kafka-active-active}"
ACTIONLINT_VERSION="${KAA_ACTIONLINT_VERSION:-v1.7.12}"
MERMAID_VERSION="${KAA_MERMAID_VERSION:-11.17.2}"

what="${1:-all}"   # all | actionlint | mermaid | chromium | strimzi

setup_actionlint() {
  local bin="$KAA_CACHE/bin/actionlint-$ACTIONLINT_VERSION"
  if [ ! -x "$bin" ]; then
    command -v go >/dev/null || { echo "setup-tools: go is required to build actionlint" >&2; exit 2; }
    echo "setup-tools: building actionlint $ACTIONLINT_VERSION"
    local tmp
    tmp="$(mktemp -d)"
    GOBIN="$tmp" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
    mkdir -p "$KAA_CACHE/bin"
    mv "$tmp/actionlint" "$bin"
    rm -rf "$tmp"
  fi
  ln -sfn "$bin" "$KAA_CACHE/bin/actionlint"
}

setup_mermaid() {
  local prefix="$KAA_CACHE/node/mermaid-$MERMAID_VERSION"
  if [ ! -f "$prefix/.complete" ]; then
    command -v npm >/dev/null || { echo "setup-tools: npm is required to install mermaid" >&2; exit 2; }
    echo "setup-tools: installing mermaid $MERMAID_VERSION into $prefix"
    rm -rf "$prefix"
    mkdir -p "$prefix"
    PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "$prefix" --no-audit --no-fund --ignore-scripts \
      --loglevel=error "mermaid@$MERMAID_VERSION" >/dev/null
    test -f "$prefix/node_modules/mermaid/dist/mermaid.min.js"
    touch "$prefix/.complete"
  fi
  ln -sfn "$prefix" "$KAA_CACHE/node/mermaid"
}

setup_chromium() {
  if [ -x /usr/bin/chromium ]; then
    return 0
  fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup-tools: /usr/bin/chromium is missing; install Debian's chromium package (apt-get install chromium)" >&2
    exit 2
  fi
  echo "setup-tools: installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
}

setup_strimzi() {
  local src
  src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/strimzi-check"
  local version
  version="$(sed -n 's:.*<strimzi.version>\(.*\)</strimzi.version>.*:\1:p' "$src/pom.xml" | head -n1)"
  local home="$KAA_CACHE/strimzi-api-$version"
  # The marker holds the hash of the pom and the Java sources: editing either refetches and recompiles.
  local key
  key="$(cat "$src/pom.xml" $(find "$src" -name '*.java' | sort) | sha256sum | cut -c1-16)"
  if [ -f "$home/.complete" ] && [ "$(cat "$home/.complete")" = "$key" ]; then
    return 0
  fi
  command -v mvn >/dev/null && command -v javac >/dev/null \
    || { echo "setup-tools: mvn and javac (JDK 17+) are required for the Strimzi check" >&2; exit 2; }
  echo "setup-tools: fetching Strimzi api $version and compiling StrimziCheck into $home"
  rm -rf "$home"
  mkdir -p "$home"
  mvn -q -B -Dstyle.color=never -f "$src/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$home/lib" -DincludeScope=runtime
  javac -d "$home/classes" -cp "$home/lib/*" $(find "$src" -name '*.java' | sort)
  echo "$key" >"$home/.complete"
}

case "$what" in
  actionlint) setup_actionlint ;;
  mermaid) setup_mermaid ;;
  chromium) setup_chromium ;;
  strimzi) setup_strimzi ;;
  all)
    setup_actionlint
    setup_mermaid
    setup_chromium
    setup_strimzi
    ;;
  *) echo "usage: scripts/setup-tools.sh [all|actionlint|mermaid|chromium|strimzi]" >&2; exit 2 ;;
esac
