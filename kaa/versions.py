"""Versions of the real parts the toolkit is built and tested against (keep in step with pom.xml)."""
KAFKA_VERSION = "4.1.2"
STRIMZI_VERSION = "0.49.0"  # the Strimzi the KafkaMirrorMaker2 render targets (scripts/strimzi-check/pom.xml)
