"""The URL reader of store/urls.py against the standard's own test data (spec section 4: "Every URL is read the way a
browser reads it (the WHATWG URL Standard ...)").

The data are the web-platform-tests URL files, copied unchanged into tests/rules/data/ (see the README there):
`url/resources/urltestdata.json` and `url/resources/toascii.json` from web-platform-tests, as synced into
ada-url/ada `tests/wpt/` by its commit c4f3af647c7103116f0cb490392768600f8060ce ("Update web platform tests (url)",
2026-07-11; the newest WPT sync there, read at ada-url/ada 308110b26b32d12db492d460a41e57932366269d).

Only absolute URLs are read by appdeck (an entry without a scheme is an error), so the cases with a base of null are
the ones that apply. For each, the canonical form (`canonical_url`, the href) equals the expected href, a failure is a
failure, and the parts the rules judge (scheme, host, port, path, query, fragment) agree with the expected
components. The wheel in use (ada-url 4.0.0) passes every case: no gap is closed on top of it and no case is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from store import urls
from store.urls import canonical_url

DATA = Path(__file__).parent / "data"


def _cases(name: str) -> list[dict[str, Any]]:
    """The test objects of one data file (strings in it are comments)."""
    return [case for case in json.loads((DATA / name).read_text(encoding="utf-8")) if isinstance(case, dict)]


ABSOLUTE = [case for case in _cases("urltestdata.json") if case.get("base") is None]
TOASCII = _cases("toascii.json")


def _id(case: dict[str, Any]) -> str:
    return ascii(case["input"])[1:-1][:60]


def test_the_data_are_the_full_files() -> None:
    """Guard against a truncated copy: the counts of the files as committed."""
    assert len(_cases("urltestdata.json")) == 891 and len(ABSOLUTE) == 555
    assert len(TOASCII) == 87


@pytest.mark.parametrize("case", ABSOLUTE, ids=_id)
def test_absolute_url_reads_as_the_standard_says(case: dict[str, Any]) -> None:
    """Spec section 4: the canonical form is the WHATWG href; an input the standard refuses is not a URL."""
    expected = None if case.get("failure") else case["href"]
    assert canonical_url(case["input"]) == expected


@pytest.mark.parametrize("case", [c for c in ABSOLUTE if not c.get("failure")], ids=_id)
def test_parts_the_rules_judge_agree_with_the_standard(case: dict[str, Any]) -> None:
    """Spec section 4: the rules judge scheme, host, port, path, query and fragment of the canonical form, so each
    must be the standard's component (an empty "?" or "#" is kept apart from none, as the href keeps it)."""
    url = urls._read(case["input"])
    assert url is not None
    assert url.scheme + ":" == case["protocol"]
    assert url.host == case["hostname"]
    assert ("" if url.port is None else str(url.port)) == case["port"]
    assert url.path == case["pathname"]
    assert ("?" + url.query if url.query else "") == case["search"]
    assert ("#" + url.fragment if url.fragment else "") == case["hash"]
    assert url.credentials == bool(case["username"] or case["password"])


@pytest.mark.parametrize("case", TOASCII, ids=_id)
def test_host_mapping_is_uts46_as_the_standard_says(case: dict[str, Any]) -> None:
    """Spec section 4: host mapping under IDNA/UTS 46 (toascii.json, read as WPT does: "https://<input>/x")."""
    expected = None if case["output"] is None else f"https://{case['output']}/x"
    assert canonical_url(f"https://{case['input']}/x") == expected
