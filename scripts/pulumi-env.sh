# Source this file (bash or zsh) to use the Pulumi engine that scripts/setup-pulumi.sh provides:
#
#   scripts/setup.sh pulumi            # once: builds/caches the engine (seconds when already cached)
#   . scripts/pulumi-env.sh
#   export PULUMI_CONFIG_PASSPHRASE=...   # the caller chooses the passphrase; this file never sets one
#
# It puts the cached bin dir first on PATH, keeps Pulumi's own state under $KAA_CACHE (PULUMI_HOME), turns off
# update checks, automatic plugin downloads (nothing can be downloaded here) and resource plugins found on PATH,
# and, unless PULUMI_BACKEND_URL is already set, points the CLI at a local file backend under $KAA_CACHE/state.
# It does not build anything: if the engine is missing it says so and leaves PATH as it was.

export KAA_CACHE="${KAA_CACHE:-$HOME/.cache/kafka-active-active}"

if [ -n "${BASH_SOURCE:-}" ]; then
  _kaa_scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
else
  _kaa_scripts="$(cd "$(dirname "$0")" && pwd)"   # zsh sets $0 to the sourced file
fi
KAA_PULUMI_BIN="$("$_kaa_scripts/setup-pulumi.sh" --bin-dir)"
export KAA_PULUMI_BIN

if "$_kaa_scripts/setup-pulumi.sh" --check; then
  case ":$PATH:" in
    *":$KAA_PULUMI_BIN:"*) ;;
    *) export PATH="$KAA_PULUMI_BIN:$PATH" ;;
  esac
else
  echo "pulumi-env.sh: the Pulumi engine is not set up in $KAA_PULUMI_BIN; run scripts/setup.sh pulumi" >&2
fi

export PULUMI_HOME="${KAA_PULUMI_HOME:-$KAA_CACHE/pulumi-home}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# Resource plugins come from PULUMI_HOME, where setup-pulumi.sh installs kafka at its exact version; without this
# the copy on PATH would be used for any requested version, with a warning on every run. The language host and the
# dynamic-provider shim are still found beside the CLI.
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
# No state checkpoint after every step, only at the end of an update: the file backend rewrites the whole state at
# each checkpoint, which grows with the square of the stack's size. The trade-off (docs/pulumi.md, Engine settings):
# an update killed midway leaves what it created out of the state. Set PULUMI_SKIP_CHECKPOINTS=false to keep them.
export PULUMI_SKIP_CHECKPOINTS="${PULUMI_SKIP_CHECKPOINTS:-true}"
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p "$KAA_CACHE/state"
  export PULUMI_BACKEND_URL="file://$KAA_CACHE/state"
fi
unset _kaa_scripts
