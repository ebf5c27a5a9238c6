"""What staff should look at for a student, read from the grade: each flag has a short label
shown as text (never colour alone) and the findings' own words as its detail."""

from __future__ import annotations

from dataclasses import dataclass

from grader.core.findings import Finding
from grader.core.report import Status
from grader.dashboard.grades import Grade
from grader.render.summary import fmt_points

PASTED_CODES = ("pasted.unreproducible", "pasted.plan-mismatch", "pasted.error-unreproducible")

# flag code -> (label, finding codes that raise it), in the order flags are shown
_FROM_FINDINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "late": ("late", ("history.late",)),
    "late-not-graded": ("late work not graded", ("history.late-work-not-graded",)),
    "not-git": ("not a git clone", ("history.none",)),
    "dump": ("last-minute dump", ("history.last-minute-dump",)),
    "tampered": ("protected file modified", ("history.protected-modified",)),
    "screenshot": ("screenshot", ("history.screenshot",)),
    "backdated": ("backdated commit", ("history.backdated",)),
    "force-push": ("force-push", ("history.force-push",)),
    "pasted": ("pasted output not reproduced", PASTED_CODES),
    "fabricated": ("pasted output edited: points held", ("pasted.fabricated",)),
}

# The engine's words when a statement needs a privilege the student's role does not hold.
_PRIVILEGE_WORDS = ("permission denied", "must be owner", "must be superuser")

FLAG_LABELS = {code: label for code, (label, _) in _FROM_FINDINGS.items()} | {
    "no-work": "no work",
    "privileged": "privileged SQL attempted",
    "error": "grading failed",
    "pending": "not graded yet",
    "rerun": "re-run queued",
    "ungraded": "needs Citus",
    "review": "awaiting review",
    "overridden": "overridden",
}


@dataclass(frozen=True)
class Flag:
    code: str
    label: str
    detail: str


def _flag(code: str, detail: str) -> Flag:
    return Flag(code, FLAG_LABELS[code], detail)


def grade_flags(grade: Grade) -> list[Flag]:
    report = grade.report
    out: list[Flag] = []
    if not grade.completed:
        out.append(_flag("error", report.error or "the grader did not finish"))
    if grade.exercises and all(e.status is Status.MISSING for e in grade.exercises):
        out.append(_flag("no-work", "no exercise was answered"))
    findings = report.all_findings
    refused = [
        f
        for f in findings
        if f.code == "executes.error" and any(w in f.message.lower() for w in _PRIVILEGE_WORDS)
    ]
    if refused:
        out.append(_flag("privileged", _said(refused)))
    for code, (_, codes) in _FROM_FINDINGS.items():
        hits = [f for f in findings if f.code in codes]
        if hits:
            out.append(_flag(code, _said(hits)))
    if report.ungraded_points:
        ids = ", ".join(report.ungraded)
        out.append(
            _flag("ungraded", f"{fmt_points(report.ungraded_points)} points not graded ({ids})")
        )
    if grade.awaiting_review:
        out.append(_flag("review", "written answers: " + ", ".join(grade.awaiting_review)))
    if grade.overridden:
        who = sorted({o.by_whom for o in grade.overrides})
        out.append(_flag("overridden", f"by {', '.join(who)}"))
    return out


def _said(findings: list[Finding]) -> str:
    return "; ".join(f"{f.exercise}: {f.message}" if f.exercise else f.message for f in findings)


def pending_flag(detail: str) -> Flag:
    return _flag("pending", detail)


def rerun_flag(detail: str) -> Flag:
    return _flag("rerun", detail)
