"""Shared helpers for the ``benchmarks/bench_*.py`` scripts.

* :class:`MockProcess` runs the embedded mock eCore API in a **separate process** on a free port,
  so the server's work (building and serialising pages) does not share the measured client's GIL.
  It is steered over its stdin/stdout with one JSON object per line (revoke the primary key,
  change faults, read the counters), and stops when its stdin closes.
* :func:`run_child` runs one measured variant in a fresh interpreter and reads back the JSON line
  it prints last, so every variant's peak memory (``ru_maxrss``) is its own.
* :func:`rss_mb` / :func:`peak_rss_mb` read the current and peak resident set size;
  :func:`summarise` gives median and spread of repeated timings; :func:`table` prints a Markdown
  table (what ``run_all.py`` collects into ``benchmarks/README.md``).

Run as a script (``python _common.py serve '<json>'``) it is the mock process itself.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # so that ``tests.evidence_fixtures`` is importable from a script
    sys.path.insert(1, str(ROOT))

__all__ = [
    "HERE",
    "ROOT",
    "MockProcess",
    "Summary",
    "child_result",
    "machine",
    "peak_rss_mb",
    "ratio",
    "rss_mb",
    "run_child",
    "summarise",
    "table",
]


# ---- memory -------------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB.

    Linux: ``VmHWM`` of ``/proc/self/status``, the peak of this program's own memory. Not
    ``ru_maxrss``: exec keeps the largest RSS the process had before it, and a child that
    subprocess starts (by vfork) had its parent's, so a child could never report less than its
    parent held (the benchmarks' parents hold ~200 MiB of recorded pages and imports). Elsewhere
    ``ru_maxrss`` (macOS reports bytes).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def rss_mb() -> float:
    """Current resident set size in MiB (``/proc/self/statm``; the peak where that is missing)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return peak_rss_mb()
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


# ---- statistics ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """Median and spread of repeated measurements."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def spread_pct(self) -> float:
        """(max - min) / median, in percent: how far apart the repetitions were."""
        return 100.0 * (self.high - self.low) / self.median if self.median else 0.0

    def fmt(self, unit: str = "s", digits: int = 2) -> str:
        """``'1.23 s (1.20–1.31, ±4%)'``; a single value without the spread."""
        med = f"{self.median:.{digits}f} {unit}"
        if len(self.values) < 2:
            return med
        return f"{med} ({self.low:.{digits}f}–{self.high:.{digits}f}, ±{self.spread_pct / 2:.0f}%)"


def summarise(values: Iterable[float]) -> Summary:
    """A :class:`Summary` of ``values`` (at least one)."""
    vals = tuple(float(v) for v in values)
    if not vals:
        raise ValueError("no measurements")
    return Summary(vals)


def ratio(
    peer: Sequence[Mapping[str, Any]], ours: Sequence[Mapping[str, Any]], key: str = "seconds"
) -> str:
    """``peer / ours`` of the medians, with the range over the repetitions' pairings
    (``'2.1x (1.8–2.5)'``: the slowest peer over our fastest run, and the other way round)."""
    p = summarise(r[key] for r in peer)
    o = summarise(r[key] for r in ours)
    if len(p.values) < 2 and len(o.values) < 2:
        return f"{p.median / o.median:.2f}x"
    return f"{p.median / o.median:.2f}x ({p.low / o.high:.2f}–{p.high / o.low:.2f})"


# ---- output -------------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table (``run_all.py`` and the README take these as they are)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    """One line: CPU count, memory, Python and OS (what a benchmark table must name)."""
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = " " + line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores{cpu}, {mem} RAM, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


# ---- measured variants in their own process -----------------------------------------------------

RESULT_PREFIX = "@@RESULT "


def child_result(**values: Any) -> None:
    """Print a child's result (the last line :func:`run_child` reads), with its peak RSS."""
    values.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
    print(RESULT_PREFIX + json.dumps(values), flush=True)


def run_child(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 900
) -> dict[str, Any]:
    """Run ``python argv...`` and return the dict its :func:`child_result` printed."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    raise RuntimeError(
        f"{' '.join(argv)} exited {proc.returncode} without a result:\n"
        f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    )


# ---- the mock in its own process ----------------------------------------------------------------


class ChildServer:
    """A server in a child process that talks over its stdin/stdout and stops when its stdin
    closes; ``start`` spawns it, ``with`` stops it."""

    _proc: subprocess.Popen[str] | None = None

    def _spawn(self, *args: str) -> subprocess.Popen[str]:
        self._proc = subprocess.Popen(
            [sys.executable, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            bufsize=1,
        )  # fmt: skip
        return self._proc

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class MockProcess(ChildServer):
    """The mock eCore API in a child process; ``env`` points a client at it.

    ``mock`` holds :class:`~ecore_xl.mock.MockServer` keyword arguments (``as_of`` as ISO text,
    ``years`` as a list), ``faults`` the :class:`~ecore_xl.mock.Faults` fields.
    """

    def __init__(
        self, mock: Mapping[str, Any] | None = None, faults: Mapping[str, Any] | None = None
    ) -> None:
        self._config = {"mock": dict(mock or {}), "faults": dict(faults or {})}
        self._lock = threading.Lock()
        self.env: dict[str, str] = {}
        self.pid: int | None = None

    def start(self) -> Self:
        self._spawn(str(Path(__file__).resolve()), "serve", json.dumps(self._config))
        hello = self._read()
        self.env = hello["env"]
        self.pid = hello["pid"]
        return self

    def _read(self) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the mock process exited ({self._proc.poll()})")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"mock process: {answer['error']}")
        return answer

    def command(self, cmd: str, **args: Any) -> dict[str, Any]:
        """Send one command (``stats``, ``reset_stats``, ``revoke_primary``, ``restore_primary``,
        ``faults`` with the fields to set, ``revoke_after`` with ``requests=N``)."""
        with self._lock:
            assert self._proc is not None and self._proc.stdin is not None
            self._proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
            self._proc.stdin.flush()
            return self._read()

    def stats(self) -> dict[str, Any]:
        """The mock's counters: data_requests, token_requests, pages_served, faults{kind: n}."""
        return self.command("stats")



def _stats_dict(srv: Any) -> dict[str, Any]:
    s = srv.stats
    return {
        "data_requests": s.data_requests,
        "token_requests": s.token_requests,
        "pages_served": s.pages_served,
        "connections": s.connections,
        "faults": dict(s.faults),
        "primary_revoked": srv._primary_revoked,
    }


def _serve(config_text: str) -> None:
    """The child side of :class:`MockProcess`."""
    import dataclasses
    import datetime as dt

    from ecore_xl.mock import Faults, MockServer

    config = json.loads(config_text)
    kw = dict(config["mock"])
    if "as_of" in kw:
        kw["as_of"] = dt.date.fromisoformat(kw["as_of"])
    if "years" in kw:
        kw["years"] = tuple(kw["years"])
    srv = MockServer(faults=Faults(**config["faults"]), **kw).start()
    watcher: threading.Thread | None = None

    def revoke_after(n: int) -> None:
        while srv.stats.data_requests < n:
            time.sleep(0.002)
        srv.revoke_primary()

    def say(obj: Mapping[str, Any]) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    say({"env": srv.env(), "pid": os.getpid()})
    for line in sys.stdin:
        try:
            msg = json.loads(line)
            cmd = msg.pop("cmd")
            if cmd == "stats":
                pass
            elif cmd == "reset_stats":
                srv.reset_stats()
            elif cmd == "revoke_primary":
                srv.revoke_primary()
            elif cmd == "restore_primary":
                srv.restore_primary()
            elif cmd == "revoke_after":
                watcher = threading.Thread(
                    target=revoke_after, args=(int(msg["requests"]),), daemon=True
                )
                watcher.start()
            elif cmd == "faults":
                srv.faults = dataclasses.replace(Faults(), **msg)  # a new object: dice re-seeded
            else:
                raise ValueError(f"unknown command {cmd!r}")
            say(_stats_dict(srv))
        except Exception as exc:  # report to the parent; keep serving
            say({"error": f"{type(exc).__name__}: {exc}"})
    srv.stop()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        _serve(sys.argv[2])
    else:
        sys.exit("usage: python _common.py serve '<json config>'")
