"""Checks, one small module each, picked by name in a lab's rubric (`type = "result"`)."""

from __future__ import annotations

from grader.checks import (
    blanks,
    completeness,
    executes,
    mentions,
    objects,
    pasted,
    result,
    structure,
    variants,
    written,
)
from grader.checks.base import Check, CheckContext, CheckResult

REGISTRY: dict[str, Check] = {
    "blanks": blanks.check,
    "executes": executes.check,
    "result": result.check,
    "objects": objects.check,
    "structure": structure.check,
    "pasted": pasted.check,
    "written": written.check,
    "mentions": mentions.check,
    "variants": variants.check,
    "completeness": completeness.check,
}

__all__ = ["REGISTRY", "Check", "CheckContext", "CheckResult"]
