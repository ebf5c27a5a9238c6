"""The pure core: `grade(submission, lab, evidence) -> Report`."""
