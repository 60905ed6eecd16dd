"""Tests of store/urls.py: the URL rules of spec sections 2-4, one test per rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.errors import FieldError
from store.urls import (
    LIST_LABELS,
    MAX_ENTRIES,
    MAX_URL,
    CheckResult,
    canonical_url,
    check_url,
    origin_of,
    split_url_list,
    validate_app_url,
    validate_login_url,
    validate_url_list,
)

LISTS = list(LIST_LABELS)
ORIGINS = ["web_origins", "cors_origins"]
NON_CALLBACK = ["logout_urls", "web_origins", "cors_origins"]


def errors_of(field: str, value: str | list[str]) -> list[str]:
    """The messages validate_url_list gives for a value."""
    return [e.message for e in validate_url_list(field, value)[1]]


def ok(field: str, entry: str) -> bool:
    """True when a single entry passes the list's rules."""
    return not validate_url_list(field, entry)[1]


# --- splitting -------------------------------------------------------------------------


def test_split_commas_and_newlines_trim_drop_empty() -> None:
    assert split_url_list(" https://a.com/x ,, \n https://b.com\r\nhttps://c.com ,") == [
        "https://a.com/x",
        "https://b.com",
        "https://c.com",
    ]


def test_split_dedupes_keeping_first_and_order() -> None:
    assert split_url_list("https://b.com, https://a.com, https://b.com") == ["https://b.com", "https://a.com"]


def test_split_accepts_list_and_splits_each_element() -> None:
    assert split_url_list(["https://a.com, https://b.com", " https://a.com ", ""]) == [
        "https://a.com",
        "https://b.com",
    ]


def test_split_none_and_empty() -> None:
    assert split_url_list(None) == []
    assert split_url_list("  , \n ") == []


def test_split_keeps_control_characters_for_the_rule_to_catch() -> None:
    # str.strip() would silently eat \x1f; the entry must reach the control-character rule.
    assert split_url_list("https://a.com\x1f") == ["https://a.com\x1f"]


# --- list limits, controls, messages -----------------------------------------------------


def test_at_most_100_entries() -> None:
    entries = [f"https://a.com/{i}" for i in range(MAX_ENTRIES)]
    assert ok("callback_urls", entries)
    msgs = errors_of("callback_urls", [*entries, "https://a.com/extra"])
    assert len(msgs) == 1 and "101" in msgs[0] and "at most 100" in msgs[0]
    assert msgs[0].startswith("Allowed callback URLs")


def test_duplicates_do_not_count_toward_limit() -> None:
    assert ok("logout_urls", ["https://a.com/x"] * 500)


def test_entry_at_most_2048_characters() -> None:
    base = "https://a.com/"
    assert ok("callback_urls", base + "x" * (MAX_URL - len(base)))
    msgs = errors_of("callback_urls", base + "x" * (MAX_URL - len(base) + 1))
    assert len(msgs) == 1 and "2048" in msgs[0]


@pytest.mark.parametrize("field", LISTS)
@pytest.mark.parametrize("bad", ["https://a.com/\x1b[31m", "https://a.com/\x7f", "https://a.com/\x9b", "https://a\tb.com"])
def test_control_characters_rejected(field: str, bad: str) -> None:
    msgs = errors_of(field, bad)
    assert len(msgs) == 1 and "control character" in msgs[0]
    assert "\x1b" not in msgs[0]  # the message itself is safe to print


def test_message_names_list_label_entry_and_rule() -> None:
    entries, errors = validate_url_list("callback_urls", "https://*.com/cb")
    assert entries == ["https://*.com/cb"]
    assert errors == [
        FieldError(
            "callback_urls",
            'Allowed callback URLs: "https://*.com/cb" — a wildcard cannot stand in place of the registrable '
            'domain (what follows "*." must be a domain you can register, not "com").',
        )
    ]


@pytest.mark.parametrize("field", LISTS)
def test_every_list_message_uses_its_label(field: str) -> None:
    msgs = errors_of(field, "example.com")
    assert msgs and msgs[0].startswith(f'{LIST_LABELS[field]}: "example.com" — ')


def test_unknown_field_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        validate_url_list("nope", "https://a.com")


def test_space_inside_entry_rejected() -> None:
    assert "space" in errors_of("callback_urls", "https://a.com/my cb")[0]


# --- absolute URLs, schemes -----------------------------------------------------------------


@pytest.mark.parametrize("field", LISTS)
def test_missing_scheme_suggests_https(field: str) -> None:
    msgs = errors_of(field, "example.com/cb" if field not in ORIGINS else "example.com")
    expected = "https://example.com/cb" if field not in ORIGINS else "https://example.com"
    assert len(msgs) == 1 and f'"{expected}"' in msgs[0]


def test_missing_scheme_with_port_suggests_https() -> None:
    assert '"https://localhost:3000/cb"' in errors_of("callback_urls", "localhost:3000/cb")[0]


def test_scheme_without_slashes_suggests_fix() -> None:
    assert '"https://example.com/cb"' in errors_of("callback_urls", "https:example.com/cb")[0]


@pytest.mark.parametrize("bad", ["https://", "https:///cb", "https://a..com/cb", "https://a.com./cb", "https://a_b%.com"])
def test_web_entry_needs_a_valid_host(bad: str) -> None:
    assert not ok("callback_urls", bad)


def test_credentials_before_host_rejected() -> None:
    assert "user" in errors_of("callback_urls", "https://user:pw@a.com/cb")[0]


@pytest.mark.parametrize("port", ["0", "65536", "", "80a", "-1"])
def test_ports_numeric_1_to_65535(port: str) -> None:
    msgs = errors_of("callback_urls", f"https://a.com:{port}/cb")
    assert len(msgs) == 1 and "1 to 65535" in msgs[0]


@pytest.mark.parametrize("port", ["1", "8080", "65535"])
def test_valid_ports(port: str) -> None:
    assert ok("callback_urls", f"https://a.com:{port}/cb")


def test_custom_scheme_allowed_in_callbacks() -> None:
    assert ok("callback_urls", "com.example.app://callback")
    assert ok("callback_urls", "myapp://auth/done?x=1")


@pytest.mark.parametrize("field", NON_CALLBACK)
def test_custom_scheme_refused_outside_callbacks(field: str) -> None:
    msgs = errors_of(field, "com.example.app://callback")
    assert len(msgs) == 1 and "http and https" in msgs[0]


@pytest.mark.parametrize("field", NON_CALLBACK)
def test_other_web_schemes_refused_outside_callbacks(field: str) -> None:
    assert not ok(field, "ftp://a.com")


@pytest.mark.parametrize("scheme", ["javascript", "data", "file", "vbscript"])
def test_dangerous_schemes_refused_in_callbacks(scheme: str) -> None:
    assert not ok("callback_urls", f"{scheme}://x/alert(1)")


def test_ipv4_and_ipv6_hosts_allowed() -> None:
    assert ok("callback_urls", "http://127.0.0.1:3000/cb, http://[::1]:3000/cb, http://localhost:8080/cb")


@pytest.mark.parametrize("bad", ["https://256.0.0.1/cb", "https://[::g]/cb", "https://[::1/cb", "https://::1/cb"])
def test_invalid_ip_hosts_rejected(bad: str) -> None:
    assert not ok("callback_urls", bad)


# --- fragments ------------------------------------------------------------------------------


def test_callback_fragment_rejected() -> None:
    msgs = errors_of("callback_urls", "https://a.com/cb#x")
    assert len(msgs) == 1 and "#fragment" in msgs[0]
    assert not ok("callback_urls", "https://a.com/cb#")
    assert not ok("callback_urls", "myapp://cb#x")


def test_logout_fragment_allowed() -> None:
    assert ok("logout_urls", "https://a.com/bye#top")


# --- origins --------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ORIGINS)
@pytest.mark.parametrize(
    ("bad", "part"),
    [("https://a.com/app", "path"), ("https://a.com?x=1", "query"), ("https://a.com/?x", "query"), ("https://a.com#f", "fragment")],
)
def test_origin_is_scheme_host_port_only(field: str, bad: str, part: str) -> None:
    msgs = errors_of(field, bad)
    assert len(msgs) == 1 and part in msgs[0] and '"https://a.com"' in msgs[0]


@pytest.mark.parametrize("field", ORIGINS)
def test_origin_trailing_slash_stored_without_it_then_deduped(field: str) -> None:
    entries, errors = validate_url_list(field, "https://a.com/, https://b.com:8443, https://a.com")
    assert errors == [] and entries == ["https://a.com", "https://b.com:8443"]


def test_non_origin_lists_keep_trailing_slash() -> None:
    assert validate_url_list("callback_urls", "https://a.com/")[0] == ["https://a.com/"]


@pytest.mark.parametrize("field", ORIGINS)
def test_origin_with_wildcard_and_port_valid(field: str) -> None:
    assert ok(field, "https://*.example.com:8443")


# --- wildcards, spec section 4 rules 1-6 ---------------------------------------------------------


@pytest.mark.parametrize("field", LISTS)
def test_wildcard_rule1_only_http_https(field: str) -> None:
    assert ok(field, "http://*.example.com")
    assert ok(field, "https://*.example.com")
    msgs = errors_of("callback_urls", "myapp://*.example.com/cb")
    assert len(msgs) == 1 and "only with http or https" in msgs[0]


@pytest.mark.parametrize(
    ("bad", "part"),
    [("*://a.com/cb", "scheme"), ("https://a.com:*/cb", "port"), ("https://a.com/*", "path"), ("https://a.com/cb?x=*", "query")],
)
def test_wildcard_never_in_scheme_port_path_query(bad: str, part: str) -> None:
    msgs = errors_of("callback_urls", bad)
    assert len(msgs) == 1 and f"never in the {part}" in msgs[0]


def test_wildcard_rule2_left_most_label_only() -> None:
    assert ok("callback_urls", "https://*.example.com/cb")
    msgs = errors_of("callback_urls", "https://sub.*.example.com/cb")
    assert len(msgs) == 1 and "left-most label" in msgs[0]
    assert not ok("callback_urls", "https://example.*/cb")


@pytest.mark.parametrize("bad", ["https://*.com", "https://*", "https://*.co.uk", "https://*.github.io"])
def test_wildcard_rule3_not_in_place_of_registrable_domain(bad: str) -> None:
    msgs = errors_of("web_origins", bad)
    assert len(msgs) == 1 and "registrable domain" in msgs[0] and f'"{bad}"' in msgs[0]


@pytest.mark.parametrize("good", ["https://*.example.com", "https://*.sub.example.com", "https://*.example.co.uk", "https://*.me.github.io"])
def test_wildcard_rule3_registrable_or_subdomain_valid(good: str) -> None:
    assert ok("web_origins", good)


@pytest.mark.parametrize("bad", ["https://*.0.0.1", "https://*.168.1.1/cb", "https://1*.0.0.1", "https://[*::1]", "https://[::*]"])
def test_wildcard_never_in_ip_address(bad: str) -> None:
    msgs = errors_of("callback_urls", bad)
    assert len(msgs) == 1 and "IP address" in msgs[0]


def test_wildcard_rule4_at_most_one() -> None:
    msgs = errors_of("callback_urls", "https://*-*.example.com/cb")
    assert len(msgs) == 1 and "at most one" in msgs[0]
    assert not ok("callback_urls", "https://*.*.example.com/cb")


def test_wildcard_rule5_prefix_and_suffix() -> None:
    assert ok("callback_urls", "https://pr-*-preview.example.com/cb")
    assert ok("web_origins", "https://pr-*.example.com, https://*-preview.example.com")
    assert not ok("callback_urls", "https://pr_*!.example.com/cb")


def test_wildcard_rule6_matches_exactly_one_label() -> None:
    entries = ["https://*.example.com"]
    assert check_url(entries, "web_origin", "https://a.example.com").allowed
    assert not check_url(entries, "web_origin", "https://a.b.example.com").allowed
    assert not check_url(entries, "web_origin", "https://example.com").allowed
    assert not check_url(entries, "web_origin", "https://.example.com").allowed


def test_wildcard_rule6_prefix_suffix_matching() -> None:
    entries = ["https://pr-*-preview.example.com/cb"]
    assert check_url(entries, "callback", "https://pr-12-preview.example.com/cb").allowed
    assert not check_url(entries, "callback", "https://pr--preview.example.com/cb").allowed  # one or more chars
    assert not check_url(entries, "callback", "https://pr-12-staging.example.com/cb").allowed
    assert not check_url(entries, "callback", "https://pr-1.2-preview.example.com/cb").allowed


# --- app URL, thumbnail URL -----------------------------------------------------------------------


def test_app_url_required() -> None:
    assert validate_app_url("app_url", "App URL", "  ", required=True) == (None, [FieldError("app_url", "App URL is required.")])
    assert validate_app_url("app_url", "App URL", None, required=True)[1]


def test_app_url_trimmed_and_valid() -> None:
    assert validate_app_url("app_url", "App URL", "  https://a.com/app#x  ", required=True) == ("https://a.com/app#x", [])
    assert validate_app_url("app_url", "App URL", "http://localhost:3000", required=True)[1] == []


def test_app_url_missing_scheme_suggests_https() -> None:
    _, errors = validate_app_url("app_url", "App URL", "a.com/app", required=True)
    assert len(errors) == 1 and errors[0].message.startswith('App URL: "a.com/app" — ')
    assert '"https://a.com/app"' in errors[0].message


@pytest.mark.parametrize(
    "bad",
    ["ftp://a.com", "myapp://x", "https://", "https://*.a.com", "https://a.com/*", "https://a.com/\x1b", "https://a.com:99999"],
)
def test_app_url_rules(bad: str) -> None:
    assert validate_app_url("app_url", "App URL", bad, required=True)[1]


def test_app_url_length_limit() -> None:
    base = "https://a.com/"
    assert not validate_app_url("app_url", "App URL", base + "x" * (MAX_URL - len(base)), required=True)[1]
    assert validate_app_url("app_url", "App URL", base + "x" * (MAX_URL - len(base) + 1), required=True)[1]


def test_thumbnail_optional_and_no_wildcard() -> None:
    assert validate_app_url("thumbnail_url", "Thumbnail URL", "", required=False) == (None, [])
    assert validate_app_url("thumbnail_url", "Thumbnail URL", None, required=False) == (None, [])
    assert validate_app_url("thumbnail_url", "Thumbnail URL", "https://*.cdn.com/t.png", required=False)[1]
    assert validate_app_url("thumbnail_url", "Thumbnail URL", "https://cdn.com/t.png", required=False)[1] == []


# --- login URL ------------------------------------------------------------------------------------


def test_login_url_optional_and_valid() -> None:
    assert validate_login_url("login_url", None) == (None, [])
    assert validate_login_url("login_url", " ") == (None, [])
    assert validate_login_url("login_url", " https://a.com/login?x=1 ") == ("https://a.com/login?x=1", [])


def test_login_url_https_only() -> None:
    _, errors = validate_login_url("login_url", "http://a.com/login")
    assert len(errors) == 1 and '"https://a.com/login"' in errors[0].message
    assert errors[0].message.startswith('Application login URL: "http://a.com/login"')
    assert validate_login_url("login_url", "myapp://login")[1]


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST", "app.localhost", "127.0.0.1", "127.9.9.9", "127.1", "2130706433", "0x7f.0.0.1", "[::1]", "0.0.0.0", "[::]", "[::ffff:127.0.0.1]"],
)
def test_login_url_not_loopback(host: str) -> None:
    _, errors = validate_login_url("login_url", f"https://{host}/login")
    assert len(errors) == 1 and "loopback" in errors[0].message


def test_login_url_not_loopback_lookalikes_ok() -> None:
    assert validate_login_url("login_url", "https://localhost.example.com/login")[1] == []
    assert validate_login_url("login_url", "https://128.0.0.1/login")[1] == []


def test_login_url_no_fragment_no_wildcard_length() -> None:
    assert "#fragment" in validate_login_url("login_url", "https://a.com/login#x")[1][0].message
    assert validate_login_url("login_url", "https://*.a.com/login")[1]
    assert validate_login_url("login_url", "https://a.com/" + "x" * MAX_URL)[1]


# --- origin_of ------------------------------------------------------------------------------------


def test_origin_of() -> None:
    assert origin_of("HTTPS://Example.COM:443/cb?x#y") == "https://example.com"
    assert origin_of("http://a.com:80") == "http://a.com"
    assert origin_of("http://a.com:8080/x") == "http://a.com:8080"
    assert origin_of("https://*.example.com/cb") == "https://*.example.com"
    assert origin_of("http://[::1]:3000/cb") == "http://[::1]:3000"
    assert origin_of("com.example.app://callback") is None
    assert origin_of("not a url") is None


# --- matching -------------------------------------------------------------------------------------


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        check_url([], "callbacks", "https://a.com")


def test_match_case_insensitive_scheme_and_host() -> None:
    r = check_url(["https://app.example.com/cb"], "callback", "HTTPS://App.Example.COM/cb")
    assert r.allowed and r.matched == "https://app.example.com/cb"


@pytest.mark.parametrize(
    ("entry", "url"),
    [("https://a.com/cb", "https://a.com:443/cb"), ("http://a.com:80/cb", "http://a.com/cb"), ("https://a.com:443", "https://a.com")],
)
def test_match_default_ports_equal_no_port(entry: str, url: str) -> None:
    assert check_url([entry], "callback", url).allowed


def test_nondefault_port_differs() -> None:
    r = check_url(["https://a.com/cb"], "callback", "https://a.com:8443/cb")
    assert not r.allowed and r.differences == ["port"]
    assert not check_url(["http://a.com/cb"], "callback", "http://a.com:443/cb").allowed


def test_match_path_case_counts() -> None:
    r = check_url(["https://a.com/Callback"], "callback", "https://a.com/callback")
    assert not r.allowed and r.differences == ["path"]


def test_match_trailing_slash_counts() -> None:
    r = check_url(["https://a.com/cb"], "logout", "https://a.com/cb/")
    assert not r.allowed and r.differences == ["trailing slash"]


def test_empty_web_path_equals_slash() -> None:
    assert check_url(["https://a.com"], "callback", "https://a.com/").allowed
    assert check_url(["https://a.com/"], "logout", "https://a.com").allowed


def test_fragment_of_tested_url_ignored() -> None:
    assert check_url(["https://a.com/cb"], "callback", "https://a.com/cb#state").allowed
    assert check_url(["https://a.com/bye"], "logout", "https://a.com/bye#x").allowed


def test_callback_query_compared_exactly() -> None:
    assert check_url(["https://a.com/cb?x=1"], "callback", "https://a.com/cb?x=1").allowed
    r = check_url(["https://a.com/cb?x=1"], "callback", "https://a.com/cb?x=2")
    assert not r.allowed and r.differences == ["query"]
    assert not check_url(["https://a.com/cb"], "callback", "https://a.com/cb?x=1").allowed


def test_logout_query_ignored() -> None:
    assert check_url(["https://a.com/bye"], "logout", "https://a.com/bye?returnTo=x").allowed
    assert check_url(["https://a.com/bye?a=1"], "logout", "https://a.com/bye").allowed


@pytest.mark.parametrize("kind", ["web_origin", "cors"])
def test_origins_compare_scheme_host_port_only(kind: str) -> None:
    entries = ["https://a.com", "http://localhost:3000"]
    assert check_url(entries, kind, "https://A.com/any/path?q=1").allowed
    assert check_url(entries, kind, "http://localhost:3000").allowed
    assert check_url(["https://a.com"], kind, "https://a.com:443").allowed
    assert check_url(entries, kind, "https://a.com/").allowed
    for url, diff in [("http://a.com", "scheme"), ("https://a.com:8443", "port"), ("https://b.com", "host")]:
        r = check_url(["https://a.com"], kind, url)
        assert not r.allowed and r.differences == [diff]


def test_custom_scheme_callbacks_match_scheme_host_path_query() -> None:
    entries = ["com.example.app://callback/done"]
    assert check_url(entries, "callback", "COM.EXAMPLE.APP://callback/done").allowed
    assert not check_url(entries, "callback", "com.example.app://callback/Done").allowed
    assert not check_url(entries, "callback", "com.example.app://other/done").allowed
    assert not check_url(entries, "callback", "com.example.app://callback/done?x").allowed
    assert not check_url(entries, "callback", "com.other.app://callback/done").allowed


def test_check_matches_first_matching_entry() -> None:
    r = check_url(["https://x.com", "https://*.a.com/cb", "https://b.a.com/cb"], "callback", "https://b.a.com/cb")
    assert r.allowed and r.matched == "https://*.a.com/cb" and r.closest is None and r.differences == []


def test_closest_entry_prefers_lighter_differences() -> None:
    entries = ["https://other.org/cb", "http://a.com/cb", "https://a.com/cb?x=1", "https://a.com/callback"]
    r = check_url(entries, "callback", "https://a.com/cb")
    assert r.closest == "https://a.com/cb?x=1" and r.differences == ["query"]
    r = check_url(entries[:3], "callback", "https://a.com/cb/")
    # path+query beats scheme: the scheme weighs more than everything after it
    assert r.closest == "https://a.com/cb?x=1" and r.differences == ["trailing slash", "query"]
    r = check_url(entries[:2], "callback", "https://a.com/cb")
    assert r.closest == "http://a.com/cb" and r.differences == ["scheme"]


def test_closest_tie_broken_by_similarity() -> None:
    r = check_url(["https://a.com/zzz", "https://a.com/callbak"], "callback", "https://a.com/callback")
    assert r.closest == "https://a.com/callbak" and r.differences == ["path"]


def test_differences_subdomain_depth() -> None:
    r = check_url(["https://*.example.com/cb"], "callback", "https://a.b.example.com/cb")
    assert r.differences == ["subdomain depth"]
    r = check_url(["https://*.example.com/cb"], "callback", "https://example.com/cb")
    assert r.differences == ["subdomain depth"]
    r = check_url(["https://example.com/cb"], "callback", "https://www.example.com/cb")
    assert r.differences == ["subdomain depth"]
    r = check_url(["https://a.example.com/cb"], "callback", "https://b.example.com/cb")
    assert r.differences == ["host"]
    r = check_url(["https://example.com/cb"], "callback", "https://www.example.org/cb")
    assert r.differences == ["host"]


def test_differences_several_in_report_order() -> None:
    r = check_url(["https://a.com:8443/cb?x=1"], "callback", "http://b.com/other")
    assert r.differences == ["scheme", "host", "port", "path", "query"]
    assert "the scheme, the host, the port, the path and the query" in r.explain()


def test_http_vs_https_is_a_scheme_difference_only() -> None:
    assert check_url(["https://a.com/cb"], "callback", "http://a.com/cb").differences == ["scheme"]


def test_refusal_with_empty_list() -> None:
    r = check_url([], "callback", "https://a.com/cb")
    assert r == CheckResult(False, "callback", "https://a.com/cb", None, None, [])
    assert "empty" in r.explain()


@pytest.mark.parametrize("bad", ["", "a.com/cb", "not a url", "https://", "https://a.com:99999/", "https://*.a.com/"])
def test_unparseable_tested_url(bad: str) -> None:
    r = check_url(["https://a.com/cb"], "callback", bad)
    assert not r.allowed and r.closest is None and r.differences == [] and r.matched is None
    assert "not a URL" in r.explain()


def test_broken_entries_are_skipped() -> None:
    r = check_url(["garbage", "https://a.com/cb"], "callback", "https://a.com/x")
    assert r.closest == "https://a.com/cb"


def test_explain_sentences() -> None:
    allowed = check_url(["https://a.com/cb"], "callback", "https://a.com/cb")
    assert allowed.explain() == '"https://a.com/cb" matches the allowed callback URL "https://a.com/cb".'
    refused = check_url(["https://a.com/cb"], "callback", "https://a.com/cb/")
    assert refused.explain() == (
        '"https://a.com/cb/" matches no allowed callback URL. '
        'The closest entry is "https://a.com/cb", which differs in the trailing slash.'
    )


# --- properties -----------------------------------------------------------------------------------

_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8).filter(
    lambda s: not s.isdigit()
)
_host = st.builds(lambda labels, tld: ".".join([*labels, tld]), st.lists(_label, min_size=1, max_size=3), st.sampled_from(["com", "org", "co.uk", "dev"]))
_path = st.lists(st.text(alphabet="abcXYZ019-_.~", min_size=1, max_size=6), max_size=3).map(lambda ps: "/" + "/".join(ps))
_query = st.one_of(st.none(), st.text(alphabet="abc=&019", min_size=1, max_size=8))


@st.composite
def web_urls(draw: st.DrawFn) -> tuple[str, str, str, int | None, str, str | None]:
    """A valid http(s) callback and its parts."""
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(_host)
    port = draw(st.one_of(st.none(), st.integers(1, 65535)))
    path = draw(_path)
    query = draw(_query)
    url = f"{scheme}://{host}" + (f":{port}" if port else "") + path + (f"?{query}" if query else "")
    return url, scheme, host, port, path, query


_pieces = st.lists(st.sampled_from([*"ab, \n\t\r/:.", "https://x.com", "  "]), max_size=15).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.one_of(_pieces, st.lists(_pieces, max_size=4), st.text(max_size=40)))
def test_split_idempotent_no_empty_no_duplicates(value: str | list[str]) -> None:
    once = split_url_list(value)
    assert split_url_list(once) == once
    assert split_url_list(",".join(once)) == once
    assert all(e and e == e.strip(" \t") and "," not in e and "\n" not in e for e in once)
    assert len(set(once)) == len(once)


@settings(max_examples=150, deadline=None)
@given(web_urls(), st.booleans())
def test_valid_callback_matches_itself_and_variants(parts: tuple[str, str, str, int | None, str, str | None], flip: bool) -> None:
    url, scheme, host, port, path, query = parts
    assert ok("callback_urls", url), validate_url_list("callback_urls", url)
    assert check_url([url], "callback", url).allowed
    upper = url.replace(f"://{host}", f"://{host.upper()}").replace(scheme, scheme.upper(), 1)
    assert check_url([url], "callback", upper).allowed
    if port is None:
        default = 443 if scheme == "https" else 80
        with_port = url.replace(f"://{host}", f"://{host}:{default}")
        assert check_url([url], "callback", with_port).allowed
        assert check_url([with_port], "callback", url).allowed
    assert check_url([url], "logout", url + ("&z" if query else "?z")).allowed
    assert check_url([url], "callback", url + "#frag").allowed
    origin = origin_of(url)
    assert origin is not None and check_url([origin], "web_origin", url).allowed
    assert ok("web_origins", origin)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([("*", "example.com"), ("*", "a.example.co.uk"), ("pr-*-x", "example.com")]),
    st.lists(_label, min_size=0, max_size=5),
)
def test_wildcard_never_matches_different_label_count(entry_parts: tuple[str, str], labels: list[str]) -> None:
    starred, base = entry_parts
    entry = f"https://{starred}.{base}"
    host = ".".join([*labels, base])
    if len(labels) != 1:
        assert not check_url([entry], "web_origin", f"https://{host}").allowed
    elif starred == "*":
        assert check_url([entry], "web_origin", f"https://{host}").allowed


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10))
def test_wildcard_matches_any_single_label(label: str) -> None:
    assert check_url(["https://*.example.com"], "cors", f"https://{label}.example.com").allowed
    assert not check_url(["https://*.example.com"], "cors", f"https://{label}.x.example.com").allowed


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(st.text(max_size=30), max_size=4)))
def test_validators_never_raise(value: str | list[str]) -> None:
    for field in LISTS:
        entries, errors = validate_url_list(field, value)
        assert all(isinstance(e, FieldError) and e.field == field for e in errors)
    text = value if isinstance(value, str) else ",".join(value)
    validate_app_url("app_url", "App URL", text, required=True)
    validate_app_url("thumbnail_url", "Thumbnail URL", text, required=False)
    validate_login_url("login_url", text)
    origin_of(text)
    for kind in ("callback", "logout", "web_origin", "cors"):
        check_url(split_url_list(value), kind, text).explain()


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="htps:/*.exampl-comu0123[]:?#@", max_size=40))
def test_url_shaped_noise_never_raises_and_errors_name_the_entry(value: str) -> None:
    entries, errors = validate_url_list("callback_urls", value)
    for error in errors:
        assert error.message.startswith("Allowed callback URLs")
    for entry in entries:
        check_url(entries, "callback", entry)


# --- read as a browser reads it (spec section 4; issue 10) -----------------------------------------

# Compatibility spellings a browser maps onto ASCII (UTS 46): full-width letters and dots, letterlike symbols,
# the ideographic full stop, upper case and a percent-encoded letter in the host.
_COMPAT_SUFFIXES = [
    "https://*.ｃｏ.ｕｋ/cb",
    "https://*.ｃｏｍ",
    "https://*.ＣＯＭ",
    "https://*.ⅽom",  # U+217D SMALL ROMAN NUMERAL ONE HUNDRED
    "https://*.ℊithub.io",  # U+210A SCRIPT SMALL G
    "https://*.co。uk",  # U+3002 IDEOGRAPHIC FULL STOP
    "https://*.co．uk",  # U+FF0E FULLWIDTH FULL STOP
    "https://*.%63om",
    "https://*.公司.cn",
    "https://＊.com",  # U+FF0A FULLWIDTH ASTERISK is a "*" to a browser
]


@pytest.mark.parametrize("bad", _COMPAT_SUFFIXES)
def test_wildcard_rule3_judges_the_host_a_browser_reads(bad: str) -> None:
    """Spec section 4 rule 3 on the canonical form: a compatibility spelling of a public suffix is that suffix."""
    msgs = errors_of("web_origins", bad)
    assert len(msgs) == 1 and "registrable domain" in msgs[0], msgs
    assert f'"{bad}" (read as "https://' in msgs[0]  # the message shows the canonical form, which differs


_FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in "abcdefghijklmnopqrstuvwxyz."}


@st.composite
def _compat_spelling(draw: st.DrawFn, host: str) -> str:
    """The host with each character kept, upper-cased or made full-width."""
    return "".join(draw(st.sampled_from([c, c.upper(), _FULL_WIDTH.get(c, c)])) for c in host)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["com", "co.uk", "github.io", "com.au", "org"]).flatmap(_compat_spelling))
def test_any_spelling_of_a_public_suffix_is_refused_as_wildcard_base(suffix: str) -> None:
    """Spec section 4 rule 3: what follows the starred label is judged as the browser reads it."""
    msgs = errors_of("callback_urls", f"https://*.{suffix}/cb")
    assert len(msgs) == 1 and "registrable domain" in msgs[0]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["example.com", "example.co.uk", "me.github.io"]).flatmap(_compat_spelling))
def test_any_spelling_of_a_registrable_domain_is_a_wildcard_base(base: str) -> None:
    """Spec section 4 rules 3 and 6: "*.<registrable domain>" in any spelling is valid and matches one label."""
    entry = f"https://*.{base}/cb"
    assert ok("callback_urls", entry), errors_of("callback_urls", entry)
    ascii_base = base.translate({ord(v): k for k, v in _FULL_WIDTH.items()}).lower()
    assert check_url([entry], "callback", f"https://a.{ascii_base}/cb").allowed
    assert not check_url([entry], "callback", f"https://a.b.{ascii_base}/cb").allowed


def test_full_width_asterisk_in_host_is_a_wildcard() -> None:
    """Spec section 4 rule 4/6: "＊" reads as "*", so it counts as the one wildcard and matches one label."""
    assert ok("callback_urls", "https://＊.example.com/cb")
    assert check_url(["https://＊.example.com/cb"], "callback", "https://a.example.com/cb").allowed
    assert "at most one" in errors_of("callback_urls", "https://*-＊.example.com/cb")[0]
    assert validate_app_url("app_url", "App URL", "https://＊.a.com", required=True)[1]
    # In a path it is percent-encoded by the browser, so it is no wildcard there.
    assert ok("callback_urls", "https://a.com/＊")


def test_wildcard_label_beyond_ascii_refused() -> None:
    """Spec section 4 rule 5: the prefix and suffix of the starred label are compared label by label; a label beyond
    ASCII is Punycode to a browser ("ü*" reads as "xn--*-dha"), where they would mean nothing."""
    msgs = errors_of("callback_urls", "https://ü*.example.com/cb")
    assert len(msgs) == 1 and "ASCII" in msgs[0] and '(read as "https://xn--*-dha.example.com/cb")' in msgs[0]
    assert ok("callback_urls", "https://ｐｒ-*.example.com/cb")  # full-width ASCII maps onto ASCII: fine


@pytest.mark.parametrize(
    ("entry", "tested"),
    [
        ("https://app.example.com/cb", "https://ａｐｐ.example.com/cb"),
        ("https://ａｐｐ.example.com/cb", "https://app.example.com/cb"),
        ("https://app.example.com/cb", "https://APP.ＥＸＡＭＰＬＥ.com/cb"),
        ("https://app.example.com/cb", "https://app。example。com/cb"),
        ("https://xn--bcher-kva.example/cb", "https://bücher.example/cb"),
        ("https://bücher.example/cb", "https://xn--bcher-kva.example/cb"),
        ("https://app.example.com/cb", "https://app.exam\u00adple.com/cb"),  # a soft hyphen is mapped away
        ("https://*.example.com/cb", "https://ａ.example.com/cb"),
        ("https://127.0.0.1:3000/cb", "https://0x7f.1:3000/cb"),
        ("https://127.0.0.1:3000/cb", "https://2130706433:3000/cb"),
        ("https://127.0.0.1:3000/cb", "https://0177.0.0.01:3000/cb"),
        ("https://[::1]/cb", "https://[0:0::1]/cb"),
        ("https://a.com/cb", "https://a.com/x/../cb"),
        ("https://a.com/cb", "https://a.com/./cb"),
        ("https://a.com/x/../cb", "https://a.com/cb"),
        ("https://a.com/cb", "https://a.com/%2e/cb"),
        ("https://a.com/cb", "https://a.com\\cb"),
        ("https://a.com/cb", "https://a.com:0443/cb"),
    ],
)
def test_checker_matches_what_a_browser_sends(entry: str, tested: str) -> None:
    """Spec section 4 Matching: both sides compare in canonical form (host mapping, IPv4 forms, dot segments)."""
    result = check_url([entry], "callback", tested)
    assert result.allowed and result.matched == entry, result.explain()


def test_checker_explains_with_the_canonical_form() -> None:
    """Spec section 4: a message shows the canonical form when it differs from what was typed (and only then)."""
    allowed = check_url(["https://app.example.com/cb"], "callback", "https://ａｐｐ.example.com/cb")
    assert allowed.explain() == (
        '"https://ａｐｐ.example.com/cb" (read as "https://app.example.com/cb") matches the allowed '
        'callback URL "https://app.example.com/cb".'
    )
    refused = check_url(["https://app.example.com/cb"], "callback", "https://ａｐｐ.example.com/x/../cb/")
    assert refused.differences == ["trailing slash"]
    assert '(read as "https://app.example.com/cb/")' in refused.explain()
    assert "read as" not in check_url(["https://a.com/cb"], "callback", "HTTPS://A.COM/cb").explain()
    assert "read as" not in check_url(["https://a.com"], "web_origin", "https://a.com").explain()


@pytest.mark.parametrize("bad", ["https://[fe80::1%25eth0]/cb", "http://[fe80::1%eth0]:3000/cb", "https://[fe80::1%251]/cb"])
@pytest.mark.parametrize("field", LISTS)
def test_ipv6_zone_id_refused(field: str, bad: str) -> None:
    """Spec section 4: IPv6 zone ids are refused (browsers do not read them)."""
    if field in ORIGINS:
        bad = bad.removesuffix("/cb")
    msgs = errors_of(field, bad)
    assert len(msgs) == 1 and "zone id" in msgs[0]
    assert validate_app_url("app_url", "App URL", bad, required=True)[1]
    assert not check_url(["https://[fe80::1]/cb"], "callback", bad).allowed


@pytest.mark.parametrize(
    "scheme",
    [
        "view-source", "intent", "chrome", "chrome-extension", "chrome-untrusted", "ms-settings", "ms-appx",
        "MS-Settings", "about", "blob", "filesystem", "ftp", "ws", "wss", "moz-extension", "edge", "android-app",
        "web+demo", "search-ms",
    ],
)  # fmt: skip
def test_schemes_a_browser_handles_itself_refused_in_callbacks(scheme: str) -> None:
    """Spec section 4: a callback's custom scheme is never one a browser handles itself."""
    msgs = errors_of("callback_urls", f"{scheme}://settings/cb")
    assert len(msgs) == 1 and "a browser handles itself" in msgs[0]


@pytest.mark.parametrize("entry", ["com.example.app://callback", "msapp://cb", "chromecast-app://cb", "myapp:///cb"])
def test_native_app_schemes_still_allowed(entry: str) -> None:
    """Spec section 4: a native app's own scheme stays allowed (only browser-handled ones are refused)."""
    assert ok("callback_urls", entry)


def test_messages_show_the_canonical_form_only_when_it_differs() -> None:
    """Spec section 4: "a message shows it when it differs from what was typed"."""
    assert '(read as "https://a.com/cb")' in errors_of("callback_urls", "https://a.com:/cb")[0]
    assert '(read as "https://cb/")' in errors_of("callback_urls", "https:///cb")[0]
    msg = validate_login_url("login_url", "https://0x7f.1/login")[1][0].message
    assert '(read as "https://127.0.0.1/login")' in msg and "loopback" in msg
    assert "read as" not in errors_of("web_origins", "https://*.com")[0]  # only the implied "/" differs
    assert "read as" not in errors_of("callback_urls", "HTTPS://*.COM/cb")[0]  # only case differs


@pytest.mark.parametrize("host", ["ｌｏｃａｌｈｏｓｔ", "LocalHost", "ａｐｐ.ｌｏｃａｌｈｏｓｔ", "0177.0.0.1", "0x7f000001", "[0:0::1]", "[::ffff:7f00:1]"])
def test_login_url_loopback_in_any_spelling(host: str) -> None:
    """Spec section 3: the login URL is not localhost nor a loopback address, however the host is spelled."""
    _, errors = validate_login_url("login_url", f"https://{host}/login")
    assert len(errors) == 1 and "loopback" in errors[0].message


def test_origin_of_is_the_canonical_origin() -> None:
    """Spec sections 3-4: derived origins are what a browser sends as Origin."""
    assert origin_of("https://ＡＰＰ.example.com:443/cb") == "https://app.example.com"
    assert origin_of("http://0x7f.1:8080/cb") == "http://127.0.0.1:8080"
    assert origin_of("https://bücher.example/cb") == "https://xn--bcher-kva.example"


@pytest.mark.parametrize("field", ORIGINS)
def test_origin_path_counts_as_typed(field: str) -> None:
    """Spec section 4 Origins: "https://a.com/." reads as "https://a.com/" but is stored as typed, so it is refused."""
    for bad in ("https://a.com/.", "https://a.com/%2e", "https://a.com/x/.."):
        msgs = errors_of(field, bad)
        assert len(msgs) == 1 and "path" in msgs[0] and '"https://a.com"' in msgs[0]


def test_lone_surrogate_refused_and_message_printable() -> None:
    """Spec sections 4 and 9: text that is not valid Unicode (undecodable bytes) is refused in a printable message."""
    msgs = errors_of("callback_urls", "https://a\udcff.com/cb")
    assert len(msgs) == 1 and "not valid Unicode" in msgs[0]
    msgs[0].encode("utf-8")  # printable: the surrogate is shown escaped
    assert not check_url(["https://a.com/cb"], "callback", "https://a\udcff.com/cb").allowed


_url_text = st.text(alphabet="htpsfile:/\\?#@.%2eE0x7f[]ａｂＡ。ü*-_~ ", max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.one_of(_url_text.map(lambda s: "https://" + s), _url_text.map(lambda s: "myapp://" + s), _url_text))
def test_canonical_form_is_a_fixed_point(text: str) -> None:
    """Spec section 4: the canonical form of a URL reads as itself, and judging it gives the same verdict."""
    canonical = canonical_url(text)
    if canonical is None:
        return
    assert canonical_url(canonical) == canonical
    for kind in ("callback", "logout", "web_origin", "cors"):
        assert check_url([text], kind, canonical).allowed == check_url([canonical], kind, canonical).allowed


@settings(max_examples=100, deadline=None)
@given(web_urls(), st.data())
def test_matching_ignores_case_and_compatibility_forms_of_scheme_and_host(
    parts: tuple[str, str, str, int | None, str, str | None], data: st.DataObject
) -> None:
    """Spec section 4 Matching: scheme and host compare case-insensitively, and as a browser maps them."""
    url, scheme, host, port, path, query = parts
    variant_host = data.draw(_compat_spelling(host))
    variant_scheme = data.draw(st.sampled_from([scheme, scheme.upper(), scheme.capitalize()]))
    variant = url.replace(f"{scheme}://{host}", f"{variant_scheme}://{variant_host}", 1)
    assert check_url([url], "callback", variant).allowed, (url, variant)
    assert check_url([variant], "callback", url).allowed, (variant, url)
