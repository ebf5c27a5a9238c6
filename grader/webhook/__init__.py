"""GitHub webhook deliveries: verified, stored with de-duplication, turned into jobs."""
