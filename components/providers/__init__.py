"""Pulumi dynamic providers for the parts `pulumi_kafka` does not cover: registry subjects and Connect
connectors. Each provider is a thin shell over a client in `kaa/clients`; the engine runs them in its
`pulumi-resource-pulumi-python` host, which imports them from this package."""
