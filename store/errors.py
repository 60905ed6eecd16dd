"""Typed errors raised by the store and the controller; every front end maps them to exits or notices."""

from __future__ import annotations

from dataclasses import dataclass

from store.vocabulary import FIELD_LABELS


@dataclass(frozen=True)
class FieldError:
    """One broken rule: the field id it belongs to and a sentence a person can act on."""

    field: str
    message: str
    rule: str = ""  # a name for the rule broken, where a front end adds its own way out (the CLI's flag, say)


class AppdeckError(Exception):
    """Base of every error appdeck reports to a user; `exit_code` is the CLI's exit status."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


MAX_MESSAGES_PER_FIELD = 10


def capped(errors: list[FieldError], limit: int = MAX_MESSAGES_PER_FIELD) -> list[FieldError]:
    """At most `limit` messages per field, then one "and N more" message for that field (issue 10 item 8: 3,000 bad
    callback entries are 11 lines, not 3,001). Order is kept; a named rule (`rule`, for a front end's way out) of a
    message left out is carried by the "and N more" message, so no hint is lost."""
    counts: dict[str, int] = {}
    for e in errors:
        counts[e.field] = counts.get(e.field, 0) + 1
    if all(n <= limit for n in counts.values()):
        return errors
    kept: list[FieldError] = []
    seen: dict[str, int] = {}
    dropped_rules: dict[str, str] = {}
    for e in errors:
        n = seen[e.field] = seen.get(e.field, 0) + 1
        if n <= limit:
            kept.append(e)
        elif e.rule and e.field not in dropped_rules and all(k.rule != e.rule for k in kept if k.field == e.field):
            dropped_rules[e.field] = e.rule
        if n == counts[e.field] and n > limit:
            label = FIELD_LABELS.get(e.field, e.field)
            kept.append(FieldError(e.field, f"{label}: and {n - limit:,} more problems.", dropped_rules.get(e.field, "")))
    return kept


class ValidationError(AppdeckError):
    """Input broke one or more field rules; `errors` maps them onto field ids, at most 10 messages per field and
    then "and N more" (every front end gets the capped list); `total` counts the messages before the cap."""

    exit_code = 3

    def __init__(self, errors: list[FieldError] | FieldError) -> None:
        every = [errors] if isinstance(errors, FieldError) else list(errors)
        self.total = len(every)
        self.errors: list[FieldError] = capped(every)
        super().__init__("; ".join(e.message for e in self.errors) or "Invalid input.")

    def for_field(self, field: str) -> list[str]:
        """The messages that belong to one field id."""
        return [e.message for e in self.errors if e.field == field]


class NotFoundError(AppdeckError):
    """The named object does not exist, or the acting user may not see it."""

    exit_code = 4


class PermissionDeniedError(AppdeckError):
    """The acting user's role or ownership does not allow the action."""

    exit_code = 5


class ConflictError(AppdeckError):
    """The object changed since it was read (optimistic version check failed).

    `message` is a complete sentence that promises no way out; an app's version conflict also carries what a front
    end needs to offer its own (the CLI's `--if-version N`, the TUI's reload-and-reapply): the app's `app_id` and
    `name`, the `expected_version` asked for, the `current_version` stored, and who saved it (`updated_by`) and
    when (`updated_at`, as stored: ISO 8601, UTC). They are None for a conflict that is not an app's."""

    exit_code = 6

    def __init__(self, message: str, *, app_id: str | None = None, name: str | None = None,
                 expected_version: int | None = None, current_version: int | None = None,
                 updated_by: str | None = None, updated_at: str | None = None) -> None:
        super().__init__(message)
        self.app_id = app_id
        self.name = name
        self.expected_version = expected_version
        self.current_version = current_version
        self.updated_by = updated_by
        self.updated_at = updated_at


class StoreError(AppdeckError):
    """The store file cannot be used: unreadable, corrupt, newer schema, or locked too long."""

    exit_code = 7


class WaitCancelled(StoreError):
    """The user stopped a change's wait for a busy store (`store.storage.lock_wait.cancelled`); nothing was written."""
