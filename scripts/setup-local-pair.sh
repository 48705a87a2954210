#!/usr/bin/env bash
# Fetch the Java parts of the local pair (`kaa local up`) from Maven Central into a cache keyed by version:
#   $KAA_CACHE/kafka-<ver>/lib/       every jar of pom.xml: broker, storage tool, Connect, MirrorMaker 2, log4j2
#   $KAA_CACHE/apicurio-<ver>/        Apicurio Registry, unpacked (run as `java -jar quarkus-run.jar`)
#   $KAA_CACHE/kafka-<ver>-extensions/  Kafka's Connect basic-auth REST extension (the TLS pair's Connect only)
# Each part writes a marker when it is complete; a warm run only checks the markers (well under 2 s).
# The Kafka marker holds pom.xml's hash, so editing the dependency list refreshes the lib folder.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export KAA_CACHE="${KAA_CACHE:-$HOME/.cache/kafka-active-active}"
pom="$here/pom.xml"

pom_property() {
  # The versions live in pom.xml only; read <name>value</name> from its <properties>.
  sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$pom" | head -n1
}

kafka_version="$(pom_property kafka.version)"
apicurio_version="$(pom_property apicurio.version)"
if [ -z "$kafka_version" ] || [ -z "$apicurio_version" ]; then
  echo "setup-local-pair: cannot read kafka.version / apicurio.version from $pom" >&2
  exit 2
fi

need_java() {
  if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
    echo "setup-local-pair: java and mvn are required: Java 17+ runs Kafka, the registry (Apicurio 3.3) needs Java 21+ (apt-get install openjdk-21-jre-headless maven)" >&2
    exit 2
  fi
}

setup_kafka() {
  local home="$KAA_CACHE/kafka-$kafka_version"
  local marker="$home/.complete"
  local key
  key="$(sha256sum "$pom" | cut -c1-16)"
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$key" ]; then
    return 0
  fi
  need_java
  echo "setup-local-pair: fetching Kafka $kafka_version jars into $home/lib"
  mkdir -p "$home"
  rm -rf "$home/lib.tmp"
  mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DoutputDirectory="$home/lib.tmp" -DincludeScope=runtime
  rm -rf "$home/lib"
  mv "$home/lib.tmp" "$home/lib"
  echo "$key" >"$marker"
}

setup_apicurio() {
  local home="$KAA_CACHE/apicurio-$apicurio_version"
  local marker="$home/.complete"
  if [ -f "$marker" ] && [ -f "$home/quarkus-run.jar" ]; then
    return 0
  fi
  need_java
  echo "setup-local-pair: fetching Apicurio Registry $apicurio_version into $home"
  local tmp="$home.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp/download"
  mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy \
    -Dartifact="io.apicurio:apicurio-registry-app:$apicurio_version:tar.gz:all" \
    -DoutputDirectory="$tmp/download"
  tar -xzf "$tmp/download/apicurio-registry-app-$apicurio_version-all.tar.gz" -C "$tmp"
  rm -rf "$tmp/download"
  if [ ! -f "$tmp/quarkus-run.jar" ]; then
    echo "setup-local-pair: quarkus-run.jar missing from the Apicurio archive" >&2
    exit 2
  fi
  rm -rf "$home"
  mv "$tmp" "$home"
  date -u +%FT%TZ >"$home/.complete"
}

setup_connect_extensions() {
  # One jar, outside the shared lib folder: fetching it never rewrites the classpath of a running pair.
  local home="$KAA_CACHE/kafka-$kafka_version-extensions"
  local jar="$home/connect-basic-auth-extension-$kafka_version.jar"
  if [ -f "$jar" ]; then
    return 0
  fi
  need_java
  echo "setup-local-pair: fetching connect-basic-auth-extension $kafka_version into $home"
  rm -rf "$home.tmp"
  mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy \
    -Dartifact="org.apache.kafka:connect-basic-auth-extension:$kafka_version" -DoutputDirectory="$home.tmp"
  mkdir -p "$home"
  mv "$home.tmp/connect-basic-auth-extension-$kafka_version.jar" "$jar"
  rm -rf "$home.tmp"
}

setup_kafka
setup_apicurio
setup_connect_extensions
