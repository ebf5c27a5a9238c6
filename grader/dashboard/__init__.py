"""The staff dashboard: a class's grades, a student's pushes and findings, re-runs,
overrides and a gradebook export, behind GitHub sign-in (see docs/dashboard.md)."""
