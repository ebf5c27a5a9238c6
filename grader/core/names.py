"""Object names as a TA reads them: `TrainingData_Montréal`, `"trainingdata_montreal"` and
`TRAININGDATA_MONTREAL` name one view, and `MedicalRecords_Clinique` is the clinical fragment
for a student writing in French. The lab lists the words its students translate."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

_WORD = re.compile(r"[a-z0-9]+")


def name_key(name: str, synonyms: Mapping[str, str] | None = None) -> str:
    """A name folded for matching: unquoted, lower-case, without accents or separators (so
    `TrainingDataParis` is `trainingdata_paris`), each word put in the lab's own vocabulary
    first (`clinique` -> `clinical`)."""
    bare = name.rsplit(".", 1)[-1].strip().strip('"')
    plain = unicodedata.normalize("NFKD", bare.casefold())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    words = _WORD.findall(plain)
    if synonyms:
        words = [synonyms.get(word, word) for word in words]
    return "".join(words)


def match_names(
    expected: Iterable[str], present: Iterable[str], synonyms: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Each expected name that is not present as such, paired with the one present name
    that reads the same; a name two candidates could claim stays unmatched."""
    present = list(present)
    exact = set(present)  # catalogue names are exact: "Urgent_Visits" is not urgent_visits
    by_key: dict[str, list[str]] = {}
    for name in present:
        by_key.setdefault(name_key(name, synonyms), []).append(name)
    found = {}
    for name in expected:
        if name in exact:
            continue
        candidates = by_key.get(name_key(name, synonyms), [])
        if len(candidates) == 1:
            found[name] = candidates[0]
    return found
