#!/usr/bin/env bash
# Regenerates kaa/topology/topic_configs.json, the topic-config catalogue (and the topicConfig section of
# stacks/topology.schema.json), from the Kafka jars of pom.xml
# (fetched by scripts/setup-local-pair.sh): names, types, defaults and allowed values come from the broker's own
# ConfigDef (LogConfig), the keys MM2 does not sync from DefaultConfigPropertyFilter. Needs a JDK 17+ (`java`
# runs the generator from its source). Run it after changing kafka.version in pom.xml and commit the result.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAA_CACHE="${KAA_CACHE:-$HOME/.cache/kafka-active-active}"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml" | head -n1)"
lib="$KAA_CACHE/kafka-$version/lib"
if [ ! -f "$lib/kafka-storage-$version.jar" ]; then
  echo "gen-topic-configs: no Kafka $version jars in $lib; run scripts/setup.sh jars first" >&2
  exit 2
fi
out="$here/kaa/topology/topic_configs.json"
java -cp "$lib/*" "$here/scripts/topic-configs/GenTopicConfigs.java" > "$out.tmp"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$out.tmp"
mv "$out.tmp" "$out"
echo "gen-topic-configs: wrote $out (Kafka $version)"
# The stack files' JSON Schema lists the same keys for editors: rewrite its topicConfig section from the file.
(cd "$here" && "$here/.venv/bin/python" -c \
  'from pathlib import Path; from kaa.topology.topic_configs import write_schema_properties as w; w(Path("stacks/topology.schema.json"))')
echo "gen-topic-configs: rewrote the topicConfig section of stacks/topology.schema.json"
