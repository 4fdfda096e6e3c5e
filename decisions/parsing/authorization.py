"""Partial authorizations: the claims administrator authorized part of a request, and IMR decides
the rest. The item's heading then tells the whole story in three sentences, and the disputed
remainder is what the outcome and the treatment are about:

- `X was the original request. Y was authorized by the Claims Administrator. The remaining IMR
  eligible portion of the original request, Z is: Upheld`
- `X was the original request. The Claims Administrator authorized Y, leaving the original request
  IMR eligible. The original request, X is: Overturned`
"""

import re

from decisions.parsing.records import Authorization

_ACTS = r"(?:authorized|certified|approved|modified|partially\s+certified)"
_ORIGINAL = re.compile(r"^(?P<original>.+?)\s+(?:was|were)\s+the\s+original\s+request\s*\.\s*", re.IGNORECASE)
_AUTHORIZED = [
    re.compile(
        rf"^(?P<authorized>.+?)\s+(?:was|were)\s+{_ACTS}\s+by\s+the\s+Claims\s+Administrator\s*\.\s*", re.I
    ),
    re.compile(
        rf"^The\s+Claims\s+Administrator\s+{_ACTS}\s+(?P<authorized>.+?),?\s+leaving\s+the\s+original\s+request\b"
        r"[^.]*\.\s*",
        re.IGNORECASE,
    ),
]
_REMAINING = re.compile(
    r"^(?:The\s+)?(?:remaining\s+(?:IMR[\s-]+eligible\s+)?portion\s+of\s+the\s+original\s+request|original\s+request)"
    r"\s*,\s*(?P<remaining>.+?)(?:\s+(?:is|are))?\s*[.:]?\s*$",
    re.IGNORECASE,
)


def partial_authorization(heading):
    """What a partial authorization's heading says was asked, authorized and left to IMR; None for an
    ordinary heading."""
    original = _ORIGINAL.match(heading)
    if original is None:
        return None
    rest = heading[original.end() :]
    authorized = next((found for pattern in _AUTHORIZED if (found := pattern.match(rest))), None)
    if authorized is not None:
        rest = rest[authorized.end() :]
    remaining = _REMAINING.match(rest)
    return Authorization(
        original=original.group("original").strip(),
        authorized=authorized.group("authorized").strip() if authorized else None,
        remaining=remaining.group("remaining").strip() if remaining else None,
    )
