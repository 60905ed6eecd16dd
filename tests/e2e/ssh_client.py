"""Spec section 7. What both SSH end-to-end tests give the OpenSSH client: no user config, the test's own key,
no host-key prompts, no agent, quiet, bounded connection time."""

from __future__ import annotations

from pathlib import Path


def ssh_base(key: Path, port: int) -> list[str]:
    """`ssh` with the options every test connection uses; the caller adds its own and the destination."""
    return [
        "ssh", "-F", "/dev/null", "-i", str(key), "-p", str(port),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
        "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
    ]
