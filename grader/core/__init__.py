"""The contracts every step shares: findings, the report, the trace, the lab bundle, errors.

Pure: nothing here does I/O beyond reading a lab bundle's files."""
