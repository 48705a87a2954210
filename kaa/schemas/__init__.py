"""Schemas in the two registries: ordered registration with ID parity, and the Confluent wire format."""
