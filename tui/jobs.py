"""Changes to the store off the UI thread.

Every save (a form, a share, a delete, a rotation, a Settings change...) runs in a thread worker: the lock wait
(up to APPDECK_LOCK_TIMEOUT, 10 s), the fresh read under the lock and the write never hold up a key. The worker
posts messages; the screen that asked handles them: `ChangeDone` calls the caller's `done` with the result,
`ChangeFailed` goes to the one failure handler (`change_failed`: the caller's own, else the error notice), and
`ChangeWaiting` says the store is busy and that escape cancels the wait.

A screen mixes in `ChangeRunner` and calls `self.run_change(act, done)`; `act` calls the controller and runs in
the worker thread, `done` runs on the UI thread. One change at a time per screen: a second one while the first
runs is refused with a word (the user pressed ctrl+s twice), never queued behind it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message

from store.errors import AppdeckError
from store.storage import lock_wait

if TYPE_CHECKING:
    from textual.timer import Timer

    from tui.app import AppdeckApp
    from tui.widgets.store_notice import StoreProblem

SLOW_SECONDS = 0.3  # a change that takes longer says "Saving…"


class StoreUnavailable(AppdeckError):
    """Not sent: the store is gone, broken or without the acting user (the app's notice says which)."""

    def __init__(self, problem: StoreProblem) -> None:
        super().__init__(f"Not saved: {problem.headline} Your input is kept; ctrl+o copies it.")
        self.problem = problem


@dataclass(eq=False)
class ChangeJob:
    """One change asked for: what to run, what to do with its result, and how the user can stop its lock wait."""

    act: Callable[[], Any]
    done: Callable[[Any], None]
    failed: Callable[[AppdeckError], None] | None
    what: str
    cancel: threading.Event = field(default_factory=threading.Event)
    waiting: bool = False
    slow: Timer | None = None
    said: bool = False  # "Saving…" or "waiting" is on the status line: cleared when the change ends


class ChangeDone(Message):
    """The change was made; `result` is what the controller returned."""

    def __init__(self, job: ChangeJob, result: Any) -> None:
        super().__init__()
        self.job, self.result = job, result


class ChangeFailed(Message):
    """The controller refused the change, the store was busy too long, or the user cancelled the wait."""

    def __init__(self, job: ChangeJob, error: AppdeckError) -> None:
        super().__init__()
        self.job, self.error = job, error


class ChangeWaiting(Message):
    """The store's lock is held by another process: the change waits (escape cancels)."""

    def __init__(self, job: ChangeJob) -> None:
        super().__init__()
        self.job = job


class ChangeRunner:
    """Mixed into a Screen: `run_change`, the worker, and the handlers of its messages."""

    _change: ChangeJob | None = None

    @property
    def changing(self) -> bool:
        """A change of this screen's is under way (its save key does nothing meanwhile)."""
        return self._change is not None

    @property
    def change_waiting(self) -> bool:
        return self._change is not None and self._change.waiting

    def run_change(self, act: Callable[[], Any], done: Callable[[Any], None], *, what: str = "Saving",
                   failed: Callable[[AppdeckError], None] | None = None) -> bool:
        """Run `act` (a controller call) in a thread worker; `done(result)` or the failure handler on the UI thread.
        False (and a word) when a change of this screen's is still running."""
        deck: AppdeckApp = self.app  # type: ignore[attr-defined]
        if self._change is not None:
            deck.say(f"{self._change.what}… the change before is still being made.", severity="warning")
            return False
        job = ChangeJob(act, done, failed, what)
        self._change = job
        job.slow = self.set_timer(SLOW_SECONDS, lambda: self._slow(job))  # type: ignore[attr-defined]
        self._change_worker(job)
        return True

    def _slow(self, job: ChangeJob) -> None:
        if self._change is job and not job.waiting:
            job.said = True
            self.app.say(f"{job.what}…", timeout=30)  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, exit_on_error=False, group="change")
    def _change_worker(self, job: ChangeJob) -> None:
        """In a thread: look at the store (a bad one is not written to), then make the change, waiting for the lock
        at most the lock timeout, or until the user cancels."""
        deck: AppdeckApp = self.app  # type: ignore[attr-defined]
        post: Callable[[Message], bool] = self.post_message  # type: ignore[attr-defined]

        def waiting() -> None:
            post(ChangeWaiting(job))

        lock_wait.waiting = waiting
        lock_wait.cancelled = job.cancel.is_set
        try:
            problem = deck.check_store_now()
            if problem is not None:
                raise StoreUnavailable(problem)
            result = job.act()
        except AppdeckError as exc:
            post(ChangeFailed(job, exc))
        except Exception as exc:  # never a traceback (its locals may hold a secret): a sentence
            post(ChangeFailed(job, AppdeckError(f"Not saved: an unexpected {type(exc).__name__}. Nothing was changed.")))
        else:
            post(ChangeDone(job, result))
        finally:
            lock_wait.waiting = None
            lock_wait.cancelled = None

    def _finish(self, job: ChangeJob) -> bool:
        if self._change is not job:
            return False
        self._change = None
        if job.slow is not None:
            job.slow.stop()
        if job.waiting or job.said:
            self.app.say("")  # type: ignore[attr-defined]
        return True

    def on_change_waiting(self, message: ChangeWaiting) -> None:
        message.stop()
        if self._change is message.job:
            message.job.waiting = True
            self.app.say(f"{message.job.what}: another appdeck is saving; waiting for the store… escape cancels.",  # type: ignore[attr-defined]
                         severity="warning", timeout=60)

    def on_change_done(self, message: ChangeDone) -> None:
        message.stop()
        if self._finish(message.job):
            message.job.done(message.result)

    def on_change_failed(self, message: ChangeFailed) -> None:
        message.stop()
        if self._finish(message.job):
            if message.job.failed is not None:
                message.job.failed(message.error)
            else:
                self.change_failed(message.error)

    def change_failed(self, error: AppdeckError) -> None:
        """The one place a failed change becomes the error notice (a screen may show it nearer the input)."""
        from tui.screens.common import notify_error

        notify_error(self.app, error)  # type: ignore[attr-defined]

    def cancel_change_wait(self) -> bool:
        """escape while a change waits for the store: stop waiting (nothing is written). False if none waits."""
        job = self._change
        if job is None or not job.waiting:
            return False
        job.cancel.set()
        return True
