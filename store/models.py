"""Pydantic models of the organization's records and the field rules of spec sections 1-4 and 9."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from store import policy, urls
from store.errors import FieldError, ValidationError
from store.text import LOGIN_RULE, has_control, valid_login
from store.vocabulary import (
    APP_TYPE_LABELS,
    DEFAULT_APP_TYPE,
    DEFAULT_ROLE,
    DEFAULT_SHARING,
    FIELD_LABELS,
    GROUP_ID_PATTERN,
    GROUPS_SHARING,
    M2M,
    SCHEMA_VERSION,
    URL_FIELDS,
    AppType,
    Role,
    Sharing,
    TokenAuth,
)

_GROUP_ID_RE = re.compile(GROUP_ID_PATTERN, re.IGNORECASE)


def _clean_text(label: str, value: str, *, max_len: int, required: bool, no_angle: bool = False) -> str:
    """Shared text rule: trimmed, length-bounded, no control characters (and optionally no < or >)."""
    if has_control(value):
        raise ValueError(f"{label} must not contain control characters.")
    value = value.strip()
    if required and not value:
        raise ValueError(f"{label} is required.")
    if len(value) > max_len:
        raise ValueError(f"{label} must be at most {max_len} characters (it has {len(value)}).")
    if no_angle and ("<" in value or ">" in value):
        raise ValueError(f"{label} must not contain < or >.")
    return value


def _split_names(value: Any) -> list[str]:
    """Group names typed as one comma-separated line or given as a list: trimmed, de-duplicated, in order."""
    items = value.replace("\n", ",").split(",") if isinstance(value, str) else list(value or [])
    return list(dict.fromkeys(str(g).strip() for g in items if str(g).strip()))


def _url_field(field: str, value: str | None, *, required: bool) -> str | None:
    """Run an http(s) URL rule from `store.urls` and turn its errors into one pydantic error."""
    cleaned, errors = urls.validate_app_url(field, FIELD_LABELS[field], value, required=required)
    if errors:
        raise ValueError("\n".join(e.message for e in errors))
    return cleaned


class AppInput(BaseModel):
    """What a person types to create or edit a built application, validated field by field."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    app_url: str
    thumbnail_url: str | None = None
    sharing: Sharing = DEFAULT_SHARING
    groups: list[str] = Field(default_factory=list)
    advanced: bool = False
    app_type: AppType = DEFAULT_APP_TYPE
    token_auth: TokenAuth | None = None
    login_url: str | None = None
    callback_urls: list[str] = Field(default_factory=list)
    logout_urls: list[str] = Field(default_factory=list)
    web_origins: list[str] = Field(default_factory=list)
    cors_origins: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _clean_text("Name", v, max_len=100, required=True, no_angle=True)

    @field_validator("description")
    @classmethod
    def _description(cls, v: str) -> str:
        return _clean_text("Description", v or "", max_len=140, required=False)

    @field_validator("app_url")
    @classmethod
    def _app_url(cls, v: str) -> str:
        return _url_field("app_url", v, required=True) or ""

    @field_validator("thumbnail_url")
    @classmethod
    def _thumbnail_url(cls, v: str | None) -> str | None:
        return _url_field("thumbnail_url", v, required=False)

    @field_validator("login_url")
    @classmethod
    def _login_url(cls, v: str | None) -> str | None:
        cleaned, errors = urls.validate_login_url("login_url", v)
        if errors:
            raise ValueError("\n".join(e.message for e in errors))
        return cleaned

    @field_validator("callback_urls", "logout_urls", "web_origins", "cors_origins", mode="before")
    @classmethod
    def _url_list(cls, v: Any, info: Any) -> list[str]:
        cleaned, errors = urls.validate_url_list(info.field_name, v)
        if errors:
            raise ValueError("\n".join(e.message for e in errors))
        return cleaned

    _groups = field_validator("groups", mode="before")(lambda cls, v: _split_names(v))


class RegisteredInput(BaseModel):
    """What an admin types to add or edit a registered application (a shortcut, no credentials)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    url: str
    thumbnail_url: str | None = None
    sharing: Sharing = DEFAULT_SHARING
    groups: list[str] = Field(default_factory=list)
    pinned: bool = False

    _name = field_validator("name")(lambda cls, v: _clean_text("Name", v, max_len=100, required=True, no_angle=True))
    _description = field_validator("description")(
        lambda cls, v: _clean_text("Description", v or "", max_len=140, required=False)
    )
    _url = field_validator("url")(lambda cls, v: _url_field("url", v, required=True) or "")
    _thumb = field_validator("thumbnail_url")(lambda cls, v: _url_field("thumbnail_url", v, required=False))
    _groups = field_validator("groups", mode="before")(lambda cls, v: _split_names(v))


class UserRecord(BaseModel):
    """A member of the organization: login name, display name and one role."""

    login: str
    display_name: str = ""
    role: Role = DEFAULT_ROLE

    @field_validator("login")
    @classmethod
    def _login(cls, v: str) -> str:
        if not valid_login(v):
            raise ValueError(f"User name must be {LOGIN_RULE}.")
        return v

    @field_validator("display_name")
    @classmethod
    def _display(cls, v: str) -> str:
        return _clean_text("Display name", v or "", max_len=100, required=False, no_angle=True)


class GroupRecord(BaseModel):
    """A named set of users that apps can be shared with."""

    id: str
    name: str
    members: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        name = _clean_text("Group name", v, max_len=64, required=True, no_angle=True)
        if _GROUP_ID_RE.fullmatch(name):
            # Group references take an id or a name: a name shaped like an id would make one of them ambiguous.
            raise ValueError(f'Group name "{name}" has the shape of a group id (grp_ and 12 hex digits); choose another.')
        return name


class BuiltApp(AppInput):
    """A stored built application: the input fields, validated the same way, plus its system fields."""

    model_config = ConfigDict(extra="ignore")

    id: str
    owner: str
    client_id: str
    # Never in a repr (tracebacks, logs) nor in model_dump (JSON); only Controller.reveal_secret hands it out.
    client_secret: str = Field(default="", repr=False, exclude=True)
    created_at: str
    updated_at: str
    updated_by: str = ""
    version: int = 1


class RegisteredApp(RegisteredInput):
    """A stored registered application: a shortcut to an external app that admins manage."""

    model_config = ConfigDict(extra="ignore")

    id: str
    created_at: str = ""
    updated_at: str = ""
    updated_by: str = ""
    version: int = 1


class Organization(BaseModel):
    """The organization a store holds: its name and the store's schema version."""

    organization: str
    schema_version: int = SCHEMA_VERSION

    _name = field_validator("organization")(
        lambda cls, v: _clean_text("Organization name", v, max_len=64, required=True, no_angle=True)
    )


class AuditEntry(BaseModel):
    """Who did what to which object, when, and which fields changed (never secret values)."""

    at: str
    actor: str
    action: str
    object_type: str
    object_id: str
    object_name: str = ""
    app_owner: str | None = None
    fields: list[str] = Field(default_factory=list)
    detail: str = ""


M = TypeVar("M", bound=BaseModel)


def field_errors(exc: PydanticValidationError) -> list[FieldError]:
    """Turn pydantic's errors into appdeck field errors with plain sentences."""
    out: list[FieldError] = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "input"
        label = FIELD_LABELS.get(field, field)
        if err["type"] == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
            for line in msg.splitlines():
                out.append(FieldError(field, line))
        elif err["type"] == "missing":
            out.append(FieldError(field, f"{label} is required."))
        elif err["type"] == "literal_error":
            out.append(FieldError(field, f"{label}: {err['msg'].replace('Input should be', 'must be one of')}."))
        elif err["type"] == "extra_forbidden":
            out.append(FieldError(field, f"{field} is not a field of this record."))
        else:
            out.append(FieldError(field, f"{label}: {err['msg']}."))
    return out


def sharing_errors(sharing: Sharing, groups: list[str]) -> list[FieldError]:
    """Groups go with group sharing, for built and registered apps alike: at least one, and only then."""
    if sharing == GROUPS_SHARING and not groups:
        return [FieldError("groups", "Sharing with specific groups needs at least one group.")]
    if sharing != GROUPS_SHARING and groups:
        return [FieldError("groups", "Groups can only be chosen when sharing with specific groups.")]
    return []


def cross_field_errors(app: AppInput) -> list[FieldError]:
    """Rules that span fields: groups with group sharing, advanced settings, the token method and M2M's URLs."""
    errors = sharing_errors(app.sharing, app.groups)
    values = app.model_dump()
    if not app.advanced:
        set_fields = [f for f in ("token_auth", *URL_FIELDS) if getattr(app, f)]
        if app.app_type != DEFAULT_APP_TYPE:
            set_fields.insert(0, "app_type")
        if set_fields:
            names = ", ".join(FIELD_LABELS[f] for f in set_fields)
            errors.append(
                FieldError(set_fields[0], f"{names}: these are advanced settings; turn advanced settings on to set them.")
            )
        return errors
    if app.token_auth is not None and not policy.token_auth_choosable(app.app_type):
        fixed = policy.effective_token_auth(app.app_type, None)
        errors.append(
            FieldError(
                "token_auth",
                f"Token endpoint authentication method can only be set for a Regular Web Application; "
                f"a {APP_TYPE_LABELS[app.app_type]} always uses {fixed}.",
            )
        )
    if app.app_type == M2M:
        clearing = policy.m2m_clearing(values)
        if clearing:
            message = M2M_MESSAGE.format(lists=policy.describe_clearing(clearing))
            errors.extend(FieldError(f, message, rule="m2m_urls") for f in clearing)
    return errors


M2M_MESSAGE = "Machine to Machine apps have no login, callback, logout or origin URLs: clear {lists} first."


def validate_app_input(data: dict[str, Any]) -> AppInput:
    """Validate a whole app draft; raise ValidationError carrying every broken rule by field id."""
    try:
        app = AppInput.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationError(field_errors(exc)) from None
    errors = cross_field_errors(app)
    if errors:
        raise ValidationError(errors)
    return app


def validate_model(model: type[M], data: dict[str, Any]) -> M:
    """Validate any input model and raise appdeck's ValidationError on failure."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationError(field_errors(exc)) from None
