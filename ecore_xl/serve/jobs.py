"""Long work the add-in starts and then polls: a workbook refresh, a monthly report.

``POST /api/v1/jobs/refresh`` or ``/jobs/report`` answers a job id at once; ``GET
/api/v1/jobs/{id}`` answers its state (``running``, ``done``, ``failed``), its progress text
and how many steps it took, and when done its result (a refresh's operations, a report's file)
or its error (code and one-line message). A job runs on the backend's loads pool; the backend
keeps the last :data:`KEEP` jobs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecore_xl.errors import UsageError

if TYPE_CHECKING:
    from ecore_xl.serve.backend import Backend

__all__ = ["KEEP", "Job", "Jobs"]

KEEP = 50
_MONTH = re.compile(r"^\d{4}-\d{2}$")


@dataclass
class Job:
    """One job's state, as the add-in polls it."""

    id: str
    kind: str
    state: str = "running"
    message: str = "starting…"
    steps: int = 0
    started: float = field(default_factory=time.time)
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    def progress(self, text: str | None) -> None:
        if text:
            self.message = text
            self.steps += 1

    def as_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id, "kind": self.kind, "state": self.state, "message": self.message,
            "steps": self.steps, "seconds": round((self.finished or time.time()) - self.started, 3),
        }  # fmt: skip
        if self.result is not None:
            out["result"] = self.result
        if self.error is not None:
            out["error"] = self.error
        return out


class Jobs:
    """The jobs of one backend."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._jobs)

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise UsageError(f"There is no job {job_id!r} (the backend keeps the last {KEEP}).")
        return job

    def start(self, kind: str, work: Callable[[Job], dict[str, Any]]) -> Job:
        """Start ``work(job)`` in the background; it reports progress through ``job``."""
        from ecore_xl.serve.errors import error_body

        job = Job(f"{kind}-{next(self._counter)}-{secrets.token_hex(4)}", kind)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP:
                self._jobs.popitem(last=False)

        async def run() -> None:
            try:
                job.result = await self._backend.background(lambda: work(job))
                job.state, job.message = "done", "done"
            except Exception as exc:
                job.error = error_body(exc)[1]["error"]
                job.state, job.message = "failed", job.error["message"]
            finally:
                job.finished = time.time()

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    # ---- the two kinds -------------------------------------------------------------------------

    def refresh(self, body: Mapping[str, Any]) -> Job:
        """The ribbon's refresh over the pane's workbook snapshot (:mod:`.workbook_plan`)."""
        scope = str(body.get("scope") or "all")
        if scope not in ("all", "sheet", "selection", "datasets"):
            raise UsageError(f"scope {scope!r} is not one of all, sheet, selection, datasets.")
        snapshot = body.get("workbook")
        if not isinstance(snapshot, Mapping):
            raise UsageError("A refresh needs the workbook's snapshot (workbook: {...}).")
        offline = body.get("offline")
        service = self._backend.service

        def work(job: Job) -> dict[str, Any]:
            from ecore_xl.excel.refresh import dataset_of_sheet
            from ecore_xl.excel.refresh_book import refresh_book
            from ecore_xl.serve.workbook_plan import PlanWriter, datasets_in_selection

            writer = PlanWriter(snapshot, on_status=job.progress)
            datasets: list[str] | None = None
            if scope == "datasets":
                datasets = [str(d) for d in body.get("datasets") or []]
            elif scope == "sheet":
                datasets = [dataset_of_sheet(writer, str(body.get("sheet") or ""))]
            elif scope == "selection":
                selection = body.get("selection") or {}
                datasets = datasets_in_selection(
                    writer, service.catalogue, str(selection.get("sheet") or ""),
                    str(selection.get("address") or ""),
                )  # fmt: skip
            report = refresh_book(
                writer, datasets=datasets, service=service,
                offline=None if offline is None else bool(offline),
            )  # fmt: skip
            return {
                "summary": report.summary(),
                "warnings": report.warnings,
                "results": [
                    {"dataset": r.dataset, "sheet": r.sheet, "table": r.table, "rows": r.rows,
                     "source": r.source}
                    for r in report.results
                ],
                "ops": writer.ops,
            }  # fmt: skip

        return self.start("refresh", work)

    def report(self, body: Mapping[str, Any]) -> Job:
        """The monthly report of ``month`` (``YYYY-MM``, default last month) into the reports
        folder."""
        month = str(body.get("month") or "").strip()
        if not month:
            first = dt.date.today().replace(day=1)
            month = f"{first - dt.timedelta(days=1):%Y-%m}"
        if not _MONTH.match(month):
            raise UsageError(f"month {month!r} is not YYYY-MM (e.g. 2026-10).")
        entity = body.get("legalEntity") or None
        offline = body.get("offline")
        folder = self._backend.options.reports_dir or Path.cwd()
        service = self._backend.service

        def work(job: Job) -> dict[str, Any]:
            from ecore_xl.progress import status_text
            from ecore_xl.report import build_report

            job.progress(f"eCore: monthly report {month}…")
            out = Path(folder) / f"eCore report {month}.xlsx"
            result = build_report(
                month, out=out, legal_entity=None if entity is None else str(entity),
                offline=None if offline is None else bool(offline), service=service,
                progress=lambda step: job.progress(status_text(step, f"eCore report {month}")),
            )  # the steps `ecore-xl report` draws and the ribbon's status bar shows  # fmt: skip
            return {
                "file": str(out), "month": month,
                "flaggedInvoices": len(result.flagged_invoice_ids),
            }  # fmt: skip

        return self.start("report", work)
