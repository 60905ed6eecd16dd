"""Typed errors raised by the store and the controller; every front end maps them to exits or notices."""

from __future__ import annotations

from dataclasses import dataclass


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


class ValidationError(AppdeckError):
    """Input broke one or more field rules; `errors` maps them onto field ids."""

    exit_code = 3

    def __init__(self, errors: list[FieldError] | FieldError) -> None:
        self.errors: list[FieldError] = [errors] if isinstance(errors, FieldError) else list(errors)
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
    """The object changed since it was read (optimistic version check failed)."""

    exit_code = 6


class StoreError(AppdeckError):
    """The store file cannot be used: unreadable, corrupt, newer schema, or locked too long."""

    exit_code = 7
