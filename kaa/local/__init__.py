"""The embedded local pair (`kaa local`): two single-node KRaft clusters K1/K2 on loopback, each with a Kafka
Connect worker (for MirrorMaker 2) and a Confluent-compatible schema registry (Apicurio), all real processes.

Tests and commands use `LocalPair`; nothing here is needed against a real environment.
"""

from kaa.local.local_pair import LocalPair, ServiceStatus

__all__ = ["LocalPair", "ServiceStatus"]
