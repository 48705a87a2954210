"""The toolkit outside Pulumi: the topology model and its derivation, drift, the topology diff, MM2 settings and
renders, failover and the drill, the local pair, the clients and the `kaa` command line.

`components/` holds only the Pulumi components and their dynamic providers; both build on these packages.
See docs/architecture.md for the flow from a stack file to each consumer.
"""
