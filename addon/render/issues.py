"""A rendering problem: its English message (a ``str``, as the report's
``message`` and the CLI show it) that also says what kind of problem it is
(``code``) and the details the add-on's words for it need (``details``: the
field, the image's size, ...), so the report window can say it in the user's
language. Made only when something is wrong: never on the per-card hot path."""

from __future__ import annotations

from typing import Any, Dict


class Issue(str):
    code: str
    details: Dict[str, Any]

    def __new__(cls, message: str, code: str, **details: Any) -> Issue:
        made = super().__new__(cls, message)
        made.code = code
        made.details = details
        return made

    def within(self, prefix: str, **details: Any) -> Issue:
        """The same issue, its message after ``prefix`` (``field 'front': ``)."""
        return Issue(prefix + self, self.code, **{**self.details, **details})

    def __reduce__(self) -> Any:  # (a str subclass with attributes pickles them by hand)
        return (_remake, (str(self), self.code, self.details))


def _remake(message: str, code: str, details: Dict[str, Any]) -> Issue:
    return Issue(message, code, **details)

