"""Grading clusters: a coordinator and workers, behind one small interface."""
