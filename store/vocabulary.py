"""The product's words, each defined once: roles, sharing modes, app types, token methods, URL list kinds, views,
check kinds, the field lists of each record and the schema version (spec sections 1-6, 8).

Every other module imports them from here: the pydantic `Literal`s, the record shapes that reads trust and
`store verify` checks, the CLI's `choices` and the TUI's options. No logic lives here (that is `store.policy`).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

SCHEMA_VERSION: Final = 1

Role = Literal["admin", "editor", "viewer"]
Sharing = Literal["private", "organization", "groups"]
AppType = Literal["spa", "m2m", "rwa"]
TokenAuth = Literal["none", "client_secret_post", "client_secret_basic"]
ListField = Literal["callback_urls", "logout_urls", "web_origins", "cors_origins"]
UrlField = Literal["login_url", ListField]
CheckKind = Literal["callback", "logout", "web_origin", "cors"]
View = Literal["developers", "applications"]
# What an owner does to one of their apps (spec sections 2 and 10); `duplicate` is open to any creator who sees it.
AppAction = Literal[
    "edit", "share", "delete", "rotate_secret", "reveal_secret", "disable", "enable", "transfer", "env", "duplicate",
]
TrashAction = Literal["restore", "purge"]
EnvFormat = Literal["dotenv", "json"]
SettingsTab = Literal["registered", "users", "groups"]

ROLES: Final[tuple[Role, ...]] = get_args(Role)
SHARING: Final[tuple[Sharing, ...]] = get_args(Sharing)
APP_TYPES: Final[tuple[AppType, ...]] = get_args(AppType)
TOKEN_AUTHS: Final[tuple[TokenAuth, ...]] = get_args(TokenAuth)
LIST_FIELDS: Final[tuple[ListField, ...]] = get_args(ListField)
URL_FIELDS: Final[tuple[UrlField, ...]] = ("login_url", *LIST_FIELDS)
CHECK_KINDS: Final[tuple[CheckKind, ...]] = get_args(CheckKind)
VIEWS: Final[tuple[View, ...]] = get_args(View)
APP_ACTIONS: Final[tuple[AppAction, ...]] = get_args(AppAction)
OWNER_ACTIONS: Final[tuple[AppAction, ...]] = tuple(a for a in APP_ACTIONS if a != "duplicate")
TRASH_ACTIONS: Final[tuple[TrashAction, ...]] = get_args(TrashAction)
ENV_FORMATS: Final[tuple[EnvFormat, ...]] = get_args(EnvFormat)
TRASH_DAYS: Final = 30  # a deleted app stays restorable this long (spec section 10)
# The variables of an app's `.env` snippet (spec section 10), in print order.
ENV_PREFIX: Final = "APPDECK_"
SETTINGS_TABS: Final[tuple[SettingsTab, ...]] = get_args(SettingsTab)

# The roles by what they may do (spec section 1): admins administer; admins and editors create and own apps.
ADMIN: Final[Role] = "admin"
OWNER_ROLES: Final[tuple[Role, ...]] = ("admin", "editor")
DEFAULT_ROLE: Final[Role] = "viewer"
ORGANIZATION_SHARING: Final[Sharing] = "organization"
DEFAULT_SHARING: Final[Sharing] = ORGANIZATION_SHARING
GROUPS_SHARING: Final[Sharing] = "groups"
PRIVATE_SHARING: Final[Sharing] = "private"
DEFAULT_APP_TYPE: Final[AppType] = "spa"  # also the type of every app with advanced settings off
M2M: Final[AppType] = "m2m"
RWA: Final[AppType] = "rwa"
# Token endpoint methods (spec section 3): fixed for spa and m2m, chosen for rwa.
FIXED_TOKEN_AUTH: Final[dict[AppType, TokenAuth]] = {"spa": "none", "m2m": "client_secret_post"}
DEFAULT_RWA_TOKEN_AUTH: Final[TokenAuth] = "client_secret_post"

CHECK_LISTS: Final[dict[CheckKind, ListField]] = dict(zip(CHECK_KINDS, LIST_FIELDS))

# The fields a person edits (the pydantic input models hold exactly these: a test checks it); everything else on
# a record is a system field. Spelled here so that reading the store needs no pydantic.
APP_INPUT_FIELDS: Final = (
    "name", "description", "app_url", "thumbnail_url", "sharing", "groups", "advanced", "app_type", "token_auth",
    *URL_FIELDS,
)
ADVANCED_FIELDS: Final = ("app_type", "token_auth", *URL_FIELDS)
REGISTERED_INPUT_FIELDS: Final = ("name", "description", "url", "thumbnail_url", "sharing", "groups", "pinned")
# System fields a change stamps on the tables whose records carry a version.
VERSIONED_TABLES: Final = frozenset({"apps", "registered", "users", "groups", "trash"})
# "trash": deleted built apps, whole, until restored or purged (spec section 10).
TABLES: Final = ("meta", "users", "groups", "apps", "registered", "audit", "trash")

ROLE_LABELS: Final[dict[Role, str]] = {"admin": "Admin", "editor": "Editor", "viewer": "Viewer"}
SHARING_LABELS: Final[dict[Sharing, str]] = {
    "private": "Private", "organization": "Entire organization", "groups": "Specific groups",
}
SHARING_SHORT: Final[dict[Sharing, str]] = {"private": "private", "organization": "org", "groups": "groups"}
APP_TYPE_LABELS: Final[dict[AppType, str]] = {
    "spa": "Single Page Application", "m2m": "Machine to Machine", "rwa": "Regular Web Application",
}
APP_TYPE_SHORT: Final[dict[AppType, str]] = {"spa": "SPA", "m2m": "M2M", "rwa": "RWA"}
CHECK_LABELS: Final[dict[CheckKind, str]] = {
    "callback": "Callback", "logout": "Logout", "web_origin": "Web origin", "cors": "CORS origin",
}
FIELD_LABELS: Final[dict[str, str]] = {  # every field id a message names
    "name": "Name",
    "description": "Description",
    "app_url": "App URL",
    "thumbnail_url": "Thumbnail URL",
    "url": "URL",
    "sharing": "Sharing",
    "groups": "Groups",
    "advanced": "Advanced settings",
    "app_type": "Application type",
    "token_auth": "Token endpoint authentication method",
    "login_url": "Application login URL",
    "pinned": "Pinned",
    "callback_urls": "Allowed callback URLs",
    "logout_urls": "Allowed logout URLs",
    "web_origins": "Allowed web origins",
    "cors_origins": "Allowed origins (CORS)",
}
LIST_LABELS: Final[dict[ListField, str]] = {f: FIELD_LABELS[f] for f in LIST_FIELDS}
RWA_WARNING: Final = (
    "Regular Web Applications are being sunset: prefer a Single Page Application or Machine to Machine app."
)

# Login names (spec section 1): 1 to 64 letters, digits, _ . @ -, not starting with . @ -; checked with fullmatch.
LOGIN_PATTERN: Final = r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}"
# Group ids are "grp_" and 12 hex digits; a group name never has that shape (spec section 1).
GROUP_ID_PATTERN: Final = r"grp_[0-9a-f]{12}"
