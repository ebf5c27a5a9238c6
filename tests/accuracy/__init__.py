"""A TA-graded accuracy corpus of MediAI submissions (see README.md)."""
