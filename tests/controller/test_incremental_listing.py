"""Issue 11 item 2: after another user's save the Developers listing is changed, not made again; it always equals
the listing a fresh controller makes (order, members, the secret each view may show)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.controller import Controller
from store.demo import create_demo

NAMES = st.sampled_from(["alpha", "Alpha", "beta", "Gamma", "delta", "zeta", "Ω", "a", "B"])
STEP = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(["root", "dev-lee", "dev-ana"]), NAMES),
    st.tuples(st.just("rename"), st.integers(0, 50), NAMES),
    st.tuples(st.just("delete"), st.integers(0, 50), st.just("")),
    st.tuples(st.just("private"), st.integers(0, 50), st.just("")),
    st.tuples(st.just("organization"), st.integers(0, 50), st.just("")),
)


def listing(ctl: Controller) -> list[tuple[str, str, bool]]:
    return [(a.id, a.name, a.client_secret) for a in ctl.list_apps("developers")]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=12), viewer=st.sampled_from(["root", "dev-lee", "dev-ana"]))
def test_the_changed_listing_equals_a_fresh_one(tmp_path_factory: object, steps: list[tuple[str, object, str]],
                                                viewer: str) -> None:
    path = Path(tmp_path_factory.mktemp("listing")) / "store.json"  # type: ignore[attr-defined]
    create_demo(path, "root")
    mine = Controller(path, viewer)
    listing(mine)
    for action, who, name in steps:
        if action == "create":
            Controller(path, str(who)).create_app({"name": name, "app_url": "https://x.example.com",
                                                   "sharing": "organization"})
        else:
            owned = [a for a in Controller(path, "root").list_apps("developers")]
            if not owned:
                continue
            target = owned[int(str(who)) % len(owned)]
            owner = Controller(path, target.owner)
            if action == "rename":
                owner.update_app(target.id, {"name": name})
            elif action == "delete":
                owner.delete_app(target.id)
            else:
                owner.share_app(target.id, action, [])  # type: ignore[arg-type]
        assert listing(mine) == listing(Controller(path, viewer))


def test_unchanged_apps_keep_their_very_views(tmp_path: Path) -> None:
    """One app changed by another user: every other app's view is the object the last listing handed out."""
    path = tmp_path / "store.json"
    create_demo(path, "root")
    mine = Controller(path, "root")
    before = {a.id: a for a in mine.list_apps("developers")}
    target = next(a for a in before.values() if a.owner == "dev-lee")
    Controller(path, "dev-lee").update_app(target.id, {"description": "changed"})
    after = {a.id: a for a in mine.list_apps("developers")}
    assert after.keys() == before.keys()
    assert after[target.id] is not before[target.id] and after[target.id].description == "changed"
    assert all(after[k] is before[k] for k in before if k != target.id)
