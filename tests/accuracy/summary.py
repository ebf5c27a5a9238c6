"""Where the accuracy test leaves its agreement table for the run's closing summary."""

from __future__ import annotations

import pytest

ACCURACY_TABLE = pytest.StashKey[str]()
