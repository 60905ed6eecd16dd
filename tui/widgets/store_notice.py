"""What went wrong with the store, in words that fit 80 columns: the line shown on every screen while it lasts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual.content import Content
from textual.widgets import Static

from store.text import safe

GONE, UNREADABLE, TRUNCATED, NOT_JSON, EMPTY, NEWER, FOREIGN, BUSY, REMOVED, OTHER = (
    "gone", "unreadable", "truncated", "not-json", "empty", "newer", "foreign", "busy", "removed", "other")

HINT = "Your input is kept · ctrl+o copies a form's input · ctrl+q quits"
"""The second line of every notice: what the user can do (the app retries by itself)."""


@dataclass(frozen=True)
class StoreProblem:
    """One state of a store the TUI cannot use: a kind, a headline of at most 72 characters, the full message."""

    kind: str
    headline: str
    detail: str = ""


def gone(path: object) -> StoreProblem:
    return StoreProblem(GONE, "The store file is gone (deleted or moved away). Retrying.",
                        f"There is no file at {safe(path)} any more. Put it back (or restore a backup) and appdeck "
                        "reloads by itself.")


def unreadable(path: object, reason: str = "permission denied") -> StoreProblem:
    return StoreProblem(UNREADABLE, f"The store file cannot be read ({_short(reason, 30)}). Retrying.",
                        f"Cannot read the store {safe(path)}: {safe(reason)}.")


def removed(message: str) -> StoreProblem:
    return StoreProblem(REMOVED, "You were removed from the organization; an admin can add you back.", safe(message))


def of_error(message: str) -> StoreProblem:
    """The problem a store error's message describes (storage.py's sentences), with its own short headline."""
    text = safe(message)
    if "not valid JSON" in text:
        if "end of data" in text or "EOF" in text:
            return StoreProblem(TRUNCATED, "The store file is cut short (truncated JSON). Retrying.", text)
        return StoreProblem(NOT_JSON, "The store file is damaged: it is not valid JSON. Retrying.", text)
    if " is empty" in text:
        return StoreProblem(EMPTY, "The store file is empty. Retrying.", text)
    m = re.search(r"schema version (\d+), newer than this appdeck understands \((\d+)\)", text)
    if m:
        return StoreProblem(NEWER, f"The store has schema version {_short(m[1], 8)}, newer than this appdeck "
                                   f"({_short(m[2], 8)}).", text)
    if "newer" in text and "schema" in text:
        return StoreProblem(NEWER, "The store has a newer schema than this appdeck understands.", text)
    if "not an appdeck store" in text:
        return StoreProblem(FOREIGN, "The store file is not an appdeck store. Retrying.", text)
    if " is busy" in text:
        return StoreProblem(BUSY, "The store is busy: another process holds its lock. Try again.", text)
    if "permission denied" in text.lower() or "Cannot read" in text:
        reason = text.rsplit(": ", 1)[-1].rstrip(".") if ": " in text else "permission denied"
        return StoreProblem(UNREADABLE, f"The store file cannot be read ({_short(reason, 30)}). Retrying.", text)
    return StoreProblem(OTHER, "The store cannot be used right now. Retrying.", text)


def _short(text: str, limit: int) -> str:
    text = safe(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class StoreNotice(Static):
    """Docked at the top of the current screen while the store is bad: the headline and what the user can do."""

    DEFAULT_CSS = """
    StoreNotice {
        dock: top;
        height: 2;
        width: 100%;
        padding: 0 1;
        background: $error;
        color: $text;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def show(self, problem: StoreProblem) -> None:
        self.problem = problem
        self.update(Content.assemble((problem.headline, "bold"), "\n", HINT))
