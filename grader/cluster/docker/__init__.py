"""The `docker` backend: grading clusters as containers on private networks, pooled and reaped."""
