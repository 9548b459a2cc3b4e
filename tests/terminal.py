"""Run a command in a real pseudo-terminal (what a user's terminal is), bounded in time."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path


def run_in_terminal(
    command: list[str],
    answers: list[str],
    env: dict[str, str],
    cwd: Path,
    *,
    prompt: bytes = b"(hidden;",
    timeout: float = 120,
) -> tuple[int, str]:
    """Run ``command`` on a pty, typing ``answers`` one per ``prompt`` seen; returns the exit
    code and everything the terminal showed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        command,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=cwd,
        start_new_session=True,  # no controlling terminal: getpass reads the pty on stdin
    )
    os.close(slave)
    shown = b""
    pending = list(answers)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
                while pending and shown.count(prompt) > len(answers) - len(pending):
                    os.write(master, pending.pop(0).encode() + b"\n")
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        os.close(master)
    return code, shown.decode("utf-8", "replace")
