"""Failover and failback of consumer groups between the two clusters, and the drill that proves them."""
