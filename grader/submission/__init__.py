"""Reading what a student wrote: markdown answers, pasted psql output, SQL text."""
