"""Grades SQL labs on a real distributed PostgreSQL (Citus) cluster."""

__version__ = "0.1.0"
