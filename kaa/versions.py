"""Versions of the real parts the toolkit is built and tested against (keep in step with pom.xml)."""
KAFKA_VERSION = "4.1.2"
