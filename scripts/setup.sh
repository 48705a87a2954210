#!/usr/bin/env bash
# Idempotent set-up of everything the toolkit runs on: the Python virtualenv, the Kafka/Connect/registry jars
# and the Pulumi engine. Heavy artefacts are cached by version under $KAA_CACHE (default
# ~/.cache/kafka-active-active), so a warm run takes seconds.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export KAA_CACHE="${KAA_CACHE:-$HOME/.cache/kafka-active-active}"
mkdir -p "$KAA_CACHE"

what="${1:-all}"   # main | all | python | jars | pulumi | tools | --list TARGET

setup_python() {
  # The virtualenv lives in the cache, keyed by the requirements' hash; .venv in the repo links to it.
  local py="${KAA_PYTHON:-python3}"
  local key
  key="$( (cat "$here/requirements.txt"; "$py" --version) | sha256sum | cut -c1-16)"
  local venv="$KAA_CACHE/venv/$key"
  if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
    echo "setup: creating virtualenv $venv"
    rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip >/dev/null
    "$venv/bin/pip" install --quiet -r "$here/requirements.txt"
    touch "$venv/.complete"
  fi
  if [ "$(readlink "$here/.venv" 2>/dev/null)" != "$venv" ]; then
    rm -rf "$here/.venv"
    ln -s "$venv" "$here/.venv"
  fi
}

# What each target installs. `make up` needs only the main job's parts; the tools tier (actionlint, mermaid,
# Chromium: the PR-preview and workflow tests) is for `make test` and .ci/run.
parts_of() {
  case "$1" in
    main) echo "python jars pulumi" ;;
    all) echo "python jars pulumi tools" ;;
    python|jars|pulumi|tools) echo "$1" ;;
    *) echo "usage: scripts/setup.sh [main|all|python|jars|pulumi|tools] (or --list TARGET)" >&2; return 2 ;;
  esac
}

if [ "$what" = "--list" ]; then
  parts_of "${2:-all}"
  exit $?
fi
parts="$(parts_of "$what")" || exit 2
for part in $parts; do
  case "$part" in
    python) setup_python ;;
    jars) "$here/scripts/setup-local-pair.sh" ;;
    pulumi) "$here/scripts/setup-pulumi.sh" ;;
    tools) "$here/scripts/setup-tools.sh" ;;   # actionlint, mermaid, chromium (PR-preview tests)
  esac
done
