"""Small clients for the parts of the pair that speak HTTP or the Kafka protocol. Each maps failures to the
typed errors of `kaa.errors`, naming the part and the URL so the user knows what to fix."""
