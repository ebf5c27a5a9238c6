"""Renderings of a Report: the same findings for the terminal, markdown and the web."""
