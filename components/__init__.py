"""The Pulumi components of the pair and their dynamic providers: they only wire resources. What they declare
comes from `kaa.topology` (the pure model and its derivation)."""
