"""Publishing a report to GitHub as a check run."""
