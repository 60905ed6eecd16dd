"""Field rules of spec sections 2, 3 and 9 as the pydantic models enforce them (store/models.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store import models
from store.errors import ValidationError
from store.models import (
    AppInput,
    GroupRecord,
    RegisteredInput,
    UserRecord,
    validate_app_input,
    validate_model,
)
from store.policy import effective_token_auth, effective_urls
from store.text import has_control, safe

BASE = {"name": "Portal", "app_url": "https://portal.example.com"}
CONTROLS = [chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))]


def errs(data: dict) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate_app_input(data)
    return info.value


def fields_of(exc: ValidationError) -> set[str]:
    return {e.field for e in exc.errors}


# -- name ---------------------------------------------------------------------------------------------


def test_name_is_trimmed() -> None:
    assert validate_app_input({**BASE, "name": "  My app \u00a0 "}).name == "My app"


@pytest.mark.parametrize("name", ["", "   ", "\u3000"])
def test_name_is_required(name: str) -> None:
    exc = errs({**BASE, "name": name})
    assert fields_of(exc) == {"name"}
    assert "required" in exc.for_field("name")[0]


def test_name_missing_is_an_error() -> None:
    assert "name" in fields_of(errs({"app_url": "https://a.example.com"}))


def test_name_length_bounds() -> None:
    assert validate_app_input({**BASE, "name": "x" * 100}).name == "x" * 100
    assert validate_app_input({**BASE, "name": "x"}).name == "x"
    exc = errs({**BASE, "name": "x" * 101})
    assert "100" in exc.for_field("name")[0]
    # Trimmed before the length check: 100 characters plus spaces are fine.
    assert validate_app_input({**BASE, "name": "  " + "y" * 100 + "  "}).name == "y" * 100


@pytest.mark.parametrize("name", ["a<b", "a>b", "<script>", "x>"])
def test_name_rejects_angle_brackets(name: str) -> None:
    exc = errs({**BASE, "name": name})
    assert "< or >" in exc.for_field("name")[0]


@pytest.mark.parametrize("ch", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_name_rejects_every_control_character(ch: str) -> None:
    exc = errs({**BASE, "name": f"a{ch}b"})
    assert "control" in exc.for_field("name")[0]


@pytest.mark.parametrize("ch", ["\n", "\t", "\x1b", "\x7f", "\x9b"])
def test_name_rejects_control_character_at_the_edges_not_trimmed_away(ch: str) -> None:
    """A trailing newline or ESC is a control character, not whitespace to trim silently."""
    assert "name" in fields_of(errs({**BASE, "name": f"Portal{ch}"}))


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=0, max_size=130))
def test_name_rule_property(name: str) -> None:
    """Hypothesis: accepted iff no control, trimmed 1..100, no angle brackets; and then stored trimmed."""
    trimmed = name.strip()
    ok = not has_control(name) and 1 <= len(trimmed) <= 100 and "<" not in trimmed and ">" not in trimmed
    try:
        app = validate_app_input({**BASE, "name": name})
    except ValidationError as exc:
        assert not ok, exc.errors
        assert fields_of(exc) == {"name"}
    else:
        assert ok
        assert app.name == trimmed
        assert not has_control(app.name)


# -- description --------------------------------------------------------------------------------------


def test_description_optional_and_bounded() -> None:
    assert validate_app_input(BASE).description == ""
    assert validate_app_input({**BASE, "description": "d" * 140}).description == "d" * 140
    exc = errs({**BASE, "description": "d" * 141})
    assert "140" in exc.for_field("description")[0]


@pytest.mark.parametrize("ch", ["\x00", "\x1b", "\n", "\r", "\x7f", "\x85", "\x9b"])
def test_description_rejects_control_characters(ch: str) -> None:
    assert "control" in errs({**BASE, "description": f"x{ch}y"}).for_field("description")[0]


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=160))
def test_description_rule_property(desc: str) -> None:
    ok = not has_control(desc) and len(desc.strip()) <= 140
    try:
        validate_app_input({**BASE, "description": desc})
    except ValidationError as exc:
        assert not ok
        assert fields_of(exc) == {"description"}
    else:
        assert ok


# -- app URL and thumbnail ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["https://portal.example.com", "http://localhost:3000", "https://a.example.com/path?q=1", "HTTPS://A.EXAMPLE.COM"]
)
def test_app_url_valid(url: str) -> None:
    assert validate_app_input({**BASE, "app_url": url}).app_url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "portal.example.com",
        "/relative/path",
        "ftp://files.example.com",
        "javascript:alert(1)",
        "https://",
        "https://*.example.com",
        "https://exa*mple.com",
        "https://a.example.com/" + "p" * 2048,
        "https://a.exa\x1bmple.com",
    ],
)
def test_app_url_invalid(url: str) -> None:
    exc = errs({**BASE, "app_url": url})
    assert fields_of(exc) == {"app_url"}
    assert exc.for_field("app_url")[0]


def test_app_url_required() -> None:
    assert "app_url" in fields_of(errs({"name": "x"}))


def test_app_url_length_limit_2048() -> None:
    url = "https://a.example.com/"
    ok = url + "p" * (2048 - len(url))
    assert validate_app_input({**BASE, "app_url": ok}).app_url == ok
    assert "app_url" in fields_of(errs({**BASE, "app_url": ok + "p"}))


def test_app_url_without_scheme_suggests_https() -> None:
    msg = errs({**BASE, "app_url": "portal.example.com"}).for_field("app_url")[0]
    assert "https://portal.example.com" in msg


def test_thumbnail_optional_http_https_only() -> None:
    assert validate_app_input(BASE).thumbnail_url is None
    assert validate_app_input({**BASE, "thumbnail_url": "https://cdn.example.com/i.png"}).thumbnail_url
    assert validate_app_input({**BASE, "thumbnail_url": "http://cdn.example.com/i.png"}).thumbnail_url
    for bad in ("ftp://cdn.example.com/i.png", "cdn.example.com/i.png", "data:image/png;base64,AAAA", "https://"):
        assert fields_of(errs({**BASE, "thumbnail_url": bad})) == {"thumbnail_url"}, bad


# -- sharing ------------------------------------------------------------------------------------------


def test_sharing_default_organization_and_values() -> None:
    assert validate_app_input(BASE).sharing == "organization"
    assert validate_app_input({**BASE, "sharing": "private"}).sharing == "private"
    assert "sharing" in fields_of(errs({**BASE, "sharing": "public"}))


def test_groups_sharing_needs_a_group_and_groups_need_groups_sharing() -> None:
    assert "groups" in fields_of(errs({**BASE, "sharing": "groups"}))
    assert "groups" in fields_of(errs({**BASE, "sharing": "organization", "groups": ["g1"]}))
    assert validate_app_input({**BASE, "sharing": "groups", "groups": "a, b,a"}).groups == ["a", "b"]


def test_unknown_field_is_an_error() -> None:
    assert "client_id" in fields_of(errs({**BASE, "client_id": "x" * 32}))


# -- section 3: advanced settings ----------------------------------------------------------------------


def test_advanced_off_by_default_and_spa() -> None:
    app = validate_app_input(BASE)
    assert app.advanced is False
    assert app.app_type == "spa"


@pytest.mark.parametrize(
    "extra",
    [
        {"app_type": "m2m"},
        {"token_auth": "client_secret_post"},
        {"login_url": "https://portal.example.com/login"},
        {"callback_urls": ["https://portal.example.com/cb"]},
        {"logout_urls": ["https://portal.example.com/bye"]},
        {"web_origins": ["https://portal.example.com"]},
        {"cors_origins": ["https://portal.example.com"]},
    ],
)
def test_advanced_fields_need_advanced_on(extra: dict) -> None:
    exc = errs({**BASE, **extra})
    assert "advanced settings" in str(exc)
    validate_app_input({**BASE, "advanced": True, **({"app_type": "rwa"} if "token_auth" in extra else {}), **extra})


def test_advanced_off_derives_everything_from_app_url() -> None:
    eff = effective_urls(validate_app_input({**BASE, "app_url": "https://portal.example.com/app"}))
    assert eff["login_url"] == "https://portal.example.com/app"
    assert eff["callback_urls"] == ["https://portal.example.com/app"]
    assert eff["logout_urls"] == ["https://portal.example.com/app"]
    assert eff["web_origins"] == ["https://portal.example.com"]
    assert eff["cors_origins"] == ["https://portal.example.com"]
    assert all(eff["derived"].values())


def test_advanced_off_ignores_stale_advanced_values_in_a_record() -> None:
    """A stored record with advanced off derives from the app URL even if list fields linger."""
    rec = {**BASE, "advanced": False, "callback_urls": ["https://other.example.com/cb"], "login_url": "https://x.example.com"}
    eff = effective_urls(rec)
    assert eff["callback_urls"] == ["https://portal.example.com"]
    assert eff["login_url"] == "https://portal.example.com"


@pytest.mark.parametrize("app_type", ["spa", "m2m"])
@pytest.mark.parametrize("method", ["none", "client_secret_post", "client_secret_basic"])
def test_token_auth_only_for_rwa(app_type: str, method: str) -> None:
    exc = errs({**BASE, "advanced": True, "app_type": app_type, "token_auth": method})
    assert fields_of(exc) == {"token_auth"}
    assert "Regular Web Application" in exc.for_field("token_auth")[0]


@pytest.mark.parametrize("method", ["none", "client_secret_post", "client_secret_basic"])
def test_token_auth_allowed_for_rwa(method: str) -> None:
    app = validate_app_input({**BASE, "advanced": True, "app_type": "rwa", "token_auth": method})
    assert effective_token_auth(app.app_type, app.token_auth) == method


def test_token_auth_defaults() -> None:
    assert effective_token_auth("spa", None) == "none"
    assert effective_token_auth("m2m", None) == "client_secret_post"
    assert effective_token_auth("rwa", None) == "client_secret_post"
    assert "token_auth" in fields_of(errs({**BASE, "advanced": True, "app_type": "rwa", "token_auth": "client_secret_jwt"}))


def test_m2m_with_url_fields_is_an_error_naming_them() -> None:
    exc = errs(
        {
            **BASE,
            "advanced": True,
            "app_type": "m2m",
            "login_url": "https://portal.example.com/login",
            "callback_urls": ["https://portal.example.com/cb"],
            "cors_origins": ["https://portal.example.com"],
        }
    )
    assert fields_of(exc) == {"login_url", "callback_urls", "cors_origins"}
    msg = exc.for_field("login_url")[0]
    for label in ("Application login URL", models.FIELD_LABELS["callback_urls"], models.FIELD_LABELS["cors_origins"]):
        assert label in msg
    assert models.FIELD_LABELS["logout_urls"] not in msg


@pytest.mark.parametrize("field", models.URL_FIELDS)
def test_m2m_each_url_field_alone_is_an_error(field: str) -> None:
    value = "https://portal.example.com/x" if field == "login_url" else ["https://portal.example.com" + ("" if "origin" in field else "/x")]
    exc = errs({**BASE, "advanced": True, "app_type": "m2m", field: value})
    assert fields_of(exc) == {field}


def test_m2m_effective_values_are_empty() -> None:
    eff = effective_urls(validate_app_input({**BASE, "advanced": True, "app_type": "m2m"}))
    assert eff["login_url"] is None
    assert eff["callback_urls"] == eff["logout_urls"] == eff["web_origins"] == eff["cors_origins"] == []


def test_effective_values_precedence() -> None:
    app = validate_app_input(
        {**BASE, "advanced": True, "login_url": "https://login.example.com/start", "callback_urls": "https://cb.example.com/a, https://cb2.example.com:8443/b"}
    )
    eff = effective_urls(app)
    assert eff["login_url"] == "https://login.example.com/start"
    assert eff["callback_urls"] == ["https://cb.example.com/a", "https://cb2.example.com:8443/b"]
    assert eff["logout_urls"] == ["https://login.example.com/start"]  # else [login]
    assert eff["web_origins"] == ["https://cb.example.com", "https://cb2.example.com:8443"]  # origins of callbacks
    assert eff["cors_origins"] == eff["web_origins"]
    assert eff["derived"] == {"login_url": False, "callback_urls": False, "logout_urls": True, "web_origins": True, "cors_origins": True}


def test_effective_callbacks_default_to_login_or_app_url() -> None:
    app = validate_app_input({**BASE, "advanced": True, "login_url": "https://login.example.com/start"})
    eff = effective_urls(app)
    assert eff["callback_urls"] == ["https://login.example.com/start"]
    assert eff["web_origins"] == ["https://login.example.com"]
    app = validate_app_input({**BASE, "advanced": True, "logout_urls": ["https://portal.example.com/bye"], "web_origins": "https://w.example.com"})
    eff = effective_urls(app)
    assert eff["login_url"] == BASE["app_url"]
    assert eff["callback_urls"] == [BASE["app_url"]]
    assert eff["logout_urls"] == ["https://portal.example.com/bye"]
    assert eff["web_origins"] == ["https://w.example.com"]
    assert eff["cors_origins"] == ["https://portal.example.com"]


def test_custom_scheme_callback_origin_not_derived() -> None:
    app = validate_app_input({**BASE, "advanced": True, "callback_urls": ["com.example.app://callback", "https://portal.example.com/cb"]})
    eff = effective_urls(app)
    assert eff["web_origins"] == ["https://portal.example.com"]


@pytest.mark.parametrize(
    "login", ["http://portal.example.com/login", "https://localhost/login", "https://127.0.0.1/login", "https://portal.example.com/#x", "https://*.example.com"]
)
def test_login_url_rules(login: str) -> None:
    assert fields_of(errs({**BASE, "advanced": True, "login_url": login})) == {"login_url"}


# -- section 9: control characters in every text field of every input model ------------------------------


@pytest.mark.parametrize("ch", ["\x1b", "\x00", "\x7f", "\x9b", "\n"])
@pytest.mark.parametrize(
    "field,value",
    [
        ("name", "Na{c}me"),
        ("description", "de{c}sc"),
        ("app_url", "https://portal.example.com/a{c}b"),
        ("thumbnail_url", "https://cdn.example.com/a{c}b.png"),
        ("login_url", "https://portal.example.com/lo{c}gin"),
        ("callback_urls", ["https://portal.example.com/c{c}b"]),
        ("logout_urls", ["https://portal.example.com/b{c}ye"]),
        ("web_origins", ["https://w{c}.example.com"]),
        ("cors_origins", ["https://c{c}.example.com"]),
    ],
)
def test_control_characters_rejected_in_every_app_field(field: str, value, ch: str) -> None:
    v = [x.format(c=ch) for x in value] if isinstance(value, list) else value.format(c=ch)
    data = {**BASE, "advanced": field in models.URL_FIELDS, field: v}
    exc = errs(data)
    assert field in fields_of(exc)


@pytest.mark.parametrize("ch", ["\x1b", "\x00", "\x7f", "\x9b"])
def test_control_characters_rejected_in_other_records(ch: str) -> None:
    with pytest.raises(ValidationError):
        validate_model(UserRecord, {"login": f"bo{ch}b"})
    with pytest.raises(ValidationError):
        validate_model(UserRecord, {"login": "bob", "display_name": f"Bo{ch}b"})
    with pytest.raises(ValidationError):
        validate_model(GroupRecord, {"id": "g", "name": f"gr{ch}p"})
    for field, value in (("name", f"R{ch}"), ("description", f"d{ch}"), ("url", f"https://r.example.com/{ch}"), ("thumbnail_url", f"https://r.example.com/{ch}")):
        data = {"name": "R", "url": "https://r.example.com", field: value}
        with pytest.raises(ValidationError) as info:
            validate_model(RegisteredInput, data)
        assert field in {e.field for e in info.value.errors}


def test_user_record_rules() -> None:
    assert validate_model(UserRecord, {"login": "bob"}).role == "viewer"
    for bad in ("", "-bob", ".bob", "bo b", "b" * 65, "bob<", "bob/x"):
        with pytest.raises(ValidationError):
            validate_model(UserRecord, {"login": bad})
    with pytest.raises(ValidationError):
        validate_model(UserRecord, {"login": "bob", "role": "owner"})


def test_registered_input_rules() -> None:
    reg = validate_model(RegisteredInput, {"name": " Status ", "url": "https://status.example.com"})
    assert reg.name == "Status" and reg.sharing == "organization" and reg.pinned is False
    for bad in ({"name": "", "url": "https://a.example.com"}, {"name": "a<b", "url": "https://a.example.com"},
                {"name": "a", "url": "status.example.com"}, {"name": "a", "url": "https://a.example.com", "description": "d" * 141}):
        with pytest.raises(ValidationError):
            validate_model(RegisteredInput, bad)
    assert "client_secret" not in RegisteredInput.model_fields


def test_safe_strips_every_control_character() -> None:
    text = "".join(CONTROLS) + "ok[b]x[/b]"
    out = safe(text)
    assert not has_control(out)
    assert out.endswith("ok[b]x[/b]")


def test_app_input_has_no_system_fields() -> None:
    for f in ("id", "owner", "client_id", "client_secret", "version", "created_at", "updated_at"):
        assert f not in AppInput.model_fields
