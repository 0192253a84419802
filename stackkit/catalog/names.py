"""Names as people type them: look-ups ignore case and treat spaces, hyphens and
underscores alike; an unknown name raises :class:`UnknownNameError` listing the closest."""

from __future__ import annotations

import difflib
import re


class UnknownNameError(KeyError):
    """A look-up by name found nothing; the message lists the closest known names."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])



def _normalize(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", str(name)).strip().lower()


def _squash(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def _unknown_message(what: str, name: object, known: list[str]) -> str:
    by_normal = {_normalize(k): k for k in known}
    query = _normalize(str(name))
    close = difflib.get_close_matches(query, list(by_normal), n=5, cutoff=0.5)
    contains = [n for n in by_normal if query and (query in n or n in query)]
    suggestions = list(dict.fromkeys(contains + close))[:5]
    if suggestions:
        hint = "closest known names: " + ", ".join(repr(by_normal[s]) for s in suggestions)
    else:
        more = " …" if len(known) > 12 else ""
        hint = f"known names: {', '.join(map(repr, known[:12]))}{more}"
    return f"unknown {what} {name!r}; {hint}"


def _find(names: list[str], name: object, what: str) -> str:
    """The one entry of ``names`` that ``name`` means, ignoring case and separators."""
    if not isinstance(name, str):
        raise UnknownNameError(f"{what} name must be a string; got {name!r}")
    for candidate in names:
        if _normalize(candidate) == _normalize(name):
            return candidate
    squashed = [c for c in names if _squash(c) == _squash(name)]
    if len(squashed) == 1:
        return squashed[0]
    raise UnknownNameError(_unknown_message(what, name, names))
