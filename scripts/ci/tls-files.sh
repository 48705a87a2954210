#!/usr/bin/env bash
# CI helper: certificates and keys arrive as repository secrets holding PEM text (KAA_<ALIAS>_<KIND>_PEM); the
# toolkit reads files (KAA_<ALIAS>_<KIND>_FILE). Write each PEM that is set to a private file under
# $RUNNER_TEMP/kaa-tls and export its path through $GITHUB_ENV. Prints only which files were written, never
# their content.
set -euo pipefail
dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/kaa-tls"
out="${GITHUB_ENV:?GITHUB_ENV must name the file the next steps read their environment from}"
umask 077
mkdir -p "$dir"
for alias in K1 K2; do
  for kind in KAFKA_CA KAFKA_CERT KAFKA_KEY HTTP_CA HTTP_CERT HTTP_KEY; do
    var="KAA_${alias}_${kind}_PEM"
    if [ -n "${!var:-}" ]; then
      file="$dir/${alias}-${kind}.pem"
      printf '%s\n' "${!var}" > "$file"
      echo "KAA_${alias}_${kind}_FILE=$file" >> "$out"
      echo "tls-files: wrote ${alias} ${kind} to $file"
    fi
  done
done
