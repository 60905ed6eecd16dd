"""The shape every stored record must have for appdeck to use it: what a trusted read skips and what an untrusted
read and `store verify` check. Values are not re-validated (a hand-edited name with escape codes is shown safely),
but a wrong type or a missing key would crash a reader. Built from `store.vocabulary`."""

from __future__ import annotations

from typing import Any, Final

from store.vocabulary import APP_TYPES, ROLES, SHARING, TOKEN_AUTHS

# field -> (kind, required); a kind is "str", "opt_str", "str_list", "int", "bool", "dict", or a tuple of allowed values.
Shape = dict[str, tuple[Any, bool]]

RECORD_SHAPES: Final[dict[str, Shape]] = {
    "users": {
        "login": ("str", True), "role": (ROLES, True), "display_name": ("str", False), "id": ("opt_str", False),
        "version": ("int", False),
    },
    "groups": {"id": ("str", True), "name": ("str", True), "members": ("str_list", False), "version": ("int", False)},
    "apps": {
        "id": ("str", True), "name": ("str", True), "app_url": ("str", True), "owner": ("str", True),
        "client_id": ("str", True), "client_secret": ("str", True), "description": ("str", False),
        "thumbnail_url": ("opt_str", False), "sharing": (SHARING, False), "groups": ("str_list", False),
        "advanced": ("bool", False), "app_type": (APP_TYPES, False),
        "token_auth": ((None, *TOKEN_AUTHS), False),
        "login_url": ("opt_str", False), "callback_urls": ("str_list", False), "logout_urls": ("str_list", False),
        "web_origins": ("str_list", False), "cors_origins": ("str_list", False), "created_at": ("str", False),
        "updated_at": ("str", False), "updated_by": ("str", False), "version": ("int", False),
        "enabled": ("bool", False),
    },
    "registered": {
        "id": ("str", True), "name": ("str", True), "url": ("str", True), "description": ("str", False),
        "thumbnail_url": ("opt_str", False), "sharing": (SHARING, False), "groups": ("str_list", False),
        "pinned": ("bool", False), "version": ("int", False),
    },
    "audit": {
        "at": ("str", True), "actor": ("str", True), "action": ("str", True), "object_type": ("str", True),
        "object_id": ("str", True), "object_name": ("str", False), "app_owner": ("opt_str", False),
        "fields": ("str_list", False), "detail": ("str", False), "actor_id": ("opt_str", False),
        "app_owner_id": ("opt_str", False), "changes": ("dict", False),
    },
}
# A trashed app is an app, whole, with when (and by whom) it was deleted.
RECORD_SHAPES["trash"] = {**RECORD_SHAPES["apps"], "trashed_at": ("str", True), "trashed_by": ("str", False)}
