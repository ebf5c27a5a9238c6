"""A three-row lab bundle for cluster tests that need a prepared lab but no grading."""

from __future__ import annotations

import tempfile
from pathlib import Path

from grader.lab import Lab, load_lab

_FILES = {
    "lab.toml": """
id = "tiny"
title = "Tiny lab"
version = "1"
database = "tiny"
exercise_file = "exercises/tiny.md"
exercises = []

[setup]
schema_sql = "schema.sql"
distribute_sql = "distribute.sql"
seed_sql = "seed.sql"

[setup.expected_counts]
patients = 3
""",
    "schema.sql": "CREATE TABLE patients (id int, name text, country text);\n",
    "distribute.sql": "SELECT create_distributed_table('patients', 'country');\n",
    "seed.sql": (
        "INSERT INTO patients VALUES (1, 'Yuki', 'Japan'), (2, 'Amel', 'Tunisia'),"
        " (3, 'Chloe', 'Canada');\n"
    ),
}


def tiny_lab() -> Lab:
    """Written to a fresh folder each call: a Lab reads its scripts from disk when loaded."""
    root = Path(tempfile.mkdtemp(prefix="tiny-lab-"))
    for name, text in _FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    return load_lab(root)
