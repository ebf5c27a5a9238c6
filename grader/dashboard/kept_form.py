"""A form sent after the session expired is not lost: the page it was sent from becomes the
page to return to after sign-in, with the form's values in its query string
(`kept=<the form's action>&kept.<field>=<value>`). dashboard.js puts them back in that form,
and the TA sends it again, now with a fresh CSRF token.

Kept in the return URL rather than on the server: nothing to store or expire for a session
that does not exist yet. The values are what the TA typed (a score, a reason), and the URL
stays in the TA's own browser and our logs; a CSRF token is never kept.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from fastapi import Request

from grader.dashboard.auth import safe_next

URL_CHARS = 2_000  # the longest page to return to after sign-in that the sign-in page takes
_NEVER_KEPT = frozenset({"csrf_token"})


async def return_url(request: Request, next_url: str) -> str:
    """Where to go after sign-in: `next_url`, or for a form the page that sent it."""
    if request.method != "POST":
        return next_url
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return next_url
    page = safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
    form = await request.form()
    values = [("kept", request.url.path)] + [
        (f"kept.{name}", value)
        for name, value in form.multi_items()
        if name not in _NEVER_KEPT and isinstance(value, str) and value
    ]
    kept = page + ("&" if "?" in page else "?") + urlencode(values)
    # A form too long to keep still brings the TA back to its page.
    return kept if len(kept) <= URL_CHARS else page
