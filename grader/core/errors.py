"""One root for the grader's own errors.

An error that reaches a user carries an HTTP status, so the web layer maps it
without a table of special cases. A failure of the grading infrastructure is
an `InfrastructureError`: the run becomes `error` (retryable), never a zero.
"""

from __future__ import annotations


class GraderError(Exception):
    status_code = 500
    code = "grader.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(GraderError):
    """Something a user gave us is malformed: a payload, a path, a rubric."""

    status_code = 400
    code = "input.invalid"


class NotFound(GraderError):
    status_code = 404
    code = "not-found"


class Unauthorized(GraderError):
    """`challenge` is the WWW-Authenticate value: a 401 says how to authenticate."""

    status_code = 401
    code = "auth.unauthorized"

    def __init__(self, message: str, challenge: str) -> None:
        super().__init__(message)
        self.challenge = challenge


class Forbidden(GraderError):
    status_code = 403
    code = "auth.forbidden"


class PayloadTooLarge(GraderError):
    status_code = 413
    code = "input.too-large"


class LabError(GraderError):
    """The lab bundle itself is broken: the professor must fix it, not the student."""

    status_code = 500
    code = "lab.invalid"


class ConfigurationError(GraderError):
    """The service is set up so that a job cannot run: the GitHub App is not configured, or it
    has no installation on the repository. No retry can help, so the job fails at once with
    this cause, for staff to read."""

    status_code = 409
    code = "configuration"


class InfrastructureError(GraderError):
    """The grading machinery failed (a node would not start, a connection dropped)."""

    status_code = 503
    code = "infrastructure"
