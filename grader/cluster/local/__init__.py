"""The `local` backend: grading nodes as PostgreSQL processes on loopback."""
