"""Drift detection: a live snapshot of both clusters, registries and Connect workers compared with the spec."""
