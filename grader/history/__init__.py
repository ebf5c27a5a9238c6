"""Reading the commit history: the graded commit, how the work grew, and what was tampered with."""
