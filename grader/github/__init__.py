"""Talking to GitHub: webhook signatures and payloads, App auth, cloning, check runs."""
