"""Adapters that gather evidence for the pure core: one submission, a class, the class store."""
