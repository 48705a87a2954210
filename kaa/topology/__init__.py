"""The topology model (typed, immutable, no Pulumi, no network) and what each cluster must hold, derived from it."""
