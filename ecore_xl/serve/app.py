"""The HTTP face of the backend: a Starlette app over :class:`~ecore_xl.serve.backend.Backend`.

Starlette (with uvicorn as the server): a small, well-kept ASGI toolkit with no validation layer
we would not use — the arguments are Excel's cell values, checked by the formulas' own rules.

API (JSON; every ``/api/v1`` path but ``health`` needs ``Authorization: Bearer <token>``)::

    GET  /api/v1/health                   {"ok": true}
    GET  /api/v1/catalogue                datasets, filters, fields, docs, functions
    GET  /api/v1/choices/{dataset}/{filter}   a filter's drop-down values
    GET  /api/v1/fetch/{dataset}?shape=table|records&layout=…&offline=1&<filter>=<value>…
    GET  /api/v1/functions                the custom functions' metadata
    POST /api/v1/functions/{NAME}         {"args": [...], "offline": null|bool}
    GET  /api/v1/status                   ECORE.STATUS()'s rows and the backend's counters
    GET  /api/v1/doctor                   the connection check, step by step
    POST /api/v1/tables/{dataset}         {"filters", "sheet", "anchor", "tables"}: operations
                                          that write one dataset as a new table there
    POST /api/v1/jobs/refresh             {"workbook": {...}, "scope": "all"|"sheet"|"selection"}
    POST /api/v1/jobs/report              {"month": "2026-10", "legalEntity": …}
    GET  /api/v1/jobs/{id}                state, progress, result
    GET  /api/v1/jobs/{id}/file           a finished report job's workbook (attachment)

The add-in's own files are served under ``/addin/`` (``taskpane.html`` carries the token;
``functions.json`` and ``manifest.xml`` are generated for this backend and its catalogue).

Who may call: a request must name an accepted ``Host`` (so a DNS-rebinding page cannot reach a
local backend), a browser request from another origin than the add-in's is refused (CORS answers
only the add-in's origin), and the token is compared in constant time. Errors are
``{"error": {"code", "message", "excel", "status"}}`` (:mod:`.errors`); no body holds a secret.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from ecore_xl.errors import UsageError
from ecore_xl.serve.errors import error_body

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from ecore_xl.serve.backend import Backend

__all__ = ["addin_dir", "attachment", "create_app"]

API = "/api/v1"
_MAX_BODY = 8 * 1024 * 1024  # a workbook snapshot: sheet names, tables, the settings sheets
_RESERVED_QUERY = {"shape", "layout", "offline"}
_NO_STORE = {"Cache-Control": "no-store"}
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()-]")
_CSP = (
    "default-src 'self'; script-src 'self' https://appsforoffice.microsoft.com; "
    "connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'"
)


def addin_dir() -> Path:
    """The add-in's files: in a wheel ``ecore_xl/serve/addin_files``, else ``officejs/src``."""
    here = Path(__file__).resolve().parent
    for folder in (here / "addin_files", here.parents[1] / "officejs" / "src"):
        if (folder / "taskpane.html").is_file():
            return folder
    raise UsageError("The add-in's files are missing: reinstall ecore_xl.")


def attachment(name: str) -> str:
    """A ``Content-Disposition`` that saves the file as ``name``: a plain ``filename`` of safe
    characters only (anything else becomes ``_``: no quote, no path, no header injection) and
    the exact name in RFC 5987's ``filename*``."""
    plain = _HEADER_UNSAFE.sub("_", name).strip(". ") or "report.xlsx"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body, default=str, option=orjson.OPT_NON_STR_KEYS),
        status_code=status,
        media_type="application/json",
        headers={**_NO_STORE, **(headers or {})},
    )


def _error(exc: BaseException) -> Response:
    status, body, headers = error_body(exc)
    return _json(body, status, headers)


def _flag(value: Any) -> bool | None:
    """``offline`` as the add-in sends it: absent/null = the settings decide."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"offline must be true or false (got {value!r}).")


class _Guard:
    """Refuses API calls from a foreign browser origin and calls without the token."""

    def __init__(self, app: ASGIApp, *, token: str, origins: tuple[str, ...]) -> None:
        self.app = app
        self.token = token.encode()
        self.origins = set(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API + "/") or path == API + "/health":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        origin = headers.get(b"origin")
        problem = None
        if origin is not None and origin.decode("latin-1") not in self.origins:
            problem = (403, "Forbidden", "This origin may not call the eCore backend.")
        elif scope.get("method") != "OPTIONS":
            auth = headers.get(b"authorization", b"")
            given = auth[7:] if auth[:7].lower() == b"bearer " else b""
            if not hmac.compare_digest(given, self.token):
                problem = (401, "Unauthorized", "The eCore backend token is missing or wrong: "
                           "reload the add-in (it reads the token from the backend).")  # fmt: skip
        if problem is None:
            await self.app(scope, receive, send)
            return
        status, code, message = problem
        body = orjson.dumps({"error": {"code": code, "message": message, "excel": "#N/A",
                                       "status": status}})  # fmt: skip
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})


Handler = Callable[[Request], Awaitable[Response]]


def _guarded(handler: Handler) -> Handler:
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except Exception as exc:
            return _error(exc)

    return run


def create_app(backend: Backend) -> Starlette:
    """The app for ``backend`` (the caller keeps ownership; ``lifespan`` closes it)."""
    from ecore_xl.serve import catalogue_view, functions
    from ecore_xl.serve.functions_json import functions_json
    from ecore_xl.serve.tables import converted, frame_meta, frame_records, frame_table

    svc = backend.service
    options = backend.options
    files = addin_dir()

    memo: dict[str, Any] = {}

    def specs() -> dict[str, Any]:
        """The functions of the catalogue in effect (made again when its file changed)."""
        from ecore_xl.formulas.signatures import function_specs

        catalogue = svc.catalogue
        if memo.get("catalogue") is not catalogue:
            memo["specs"] = {s.name: s for s in function_specs(catalogue)}
            memo["catalogue"] = catalogue
        return memo["specs"]  # type: ignore[no-any-return]

    async def health(request: Request) -> Response:
        return _json({"ok": True})

    async def catalogue(request: Request) -> Response:
        return _json(catalogue_view.catalogue_json(svc.catalogue))

    async def choices(request: Request) -> Response:
        ds = svc.dataset(request.path_params["dataset"])
        flt = ds.filter(request.path_params["filter"])
        offline = _flag(request.query_params.get("offline"))
        if flt.allowed:
            return _json({"values": [{"value": v, "label": v} for v in flt.allowed]})
        source = catalogue_view.choices_source(svc.catalogue, flt)
        if source is None:
            return _json({"values": []})
        name, key, label = source

        def load() -> dict[str, Any]:
            df = svc.fetch(name, offline=offline)
            if key not in df.columns:
                return {"values": [], "source": name}
            labels = df[label] if label and label in df.columns else df[key]
            pairs = zip(df[key].astype(str), labels.astype(str), strict=True)
            return {"values": [{"value": v, "label": t} for v, t in pairs], "source": name}

        return _json(await backend.call(("choices", name, key, label, offline), load))

    async def fetch(request: Request) -> Response:
        name = request.path_params["dataset"]
        query = request.query_params
        shape = query.get("shape", "table")
        if shape not in ("table", "records"):
            raise UsageError(f"shape {shape!r} is not table or records.")
        layout = query.get("layout") or "long"
        offline = _flag(query.get("offline"))
        filters: dict[str, Any] = {}
        for key in query:
            if key in _RESERVED_QUERY:
                continue
            values = query.getlist(key)
            filters[key] = values if len(values) > 1 else values[0]
        ds = svc.dataset(name)  # CatalogueError (400) before a thread is taken

        key = repr(("fetch", ds.name, shape, layout, offline, sorted(filters.items(), key=str)))

        def build(df: Any) -> dict[str, Any]:
            return frame_table(df) if shape == "table" else {"records": frame_records(df)}

        def load() -> dict[str, Any]:
            df = svc.fetch(ds.name, layout=layout, offline=offline, **filters)  # type: ignore[arg-type]
            body = converted(svc, key, df, build)
            return {"dataset": ds.name, "rowCount": len(df), **body, **frame_meta(df)}

        return _json(await backend.call(key, load))

    async def function_list(request: Request) -> Response:
        return _json(functions_json(svc.catalogue))

    async def call(request: Request) -> Response:
        name = request.path_params["name"].upper()
        known = specs()
        spec = known.get(name) or known.get("ECORE_" + name)
        if spec is None or not spec.network:
            raise UsageError(f"There is no function {name!r} in this backend's catalogue.")
        body = await _body(request)
        args = body.get("args") or []
        if not isinstance(args, list):
            raise UsageError("args must be the list of the function's arguments.")
        offline = _flag(body.get("offline"))
        known = functions.known_answer(svc, spec, args, offline=offline)
        if known is not None:  # answered before, its data still fresh: no thread, no wait
            backend.stats.answered_at_once += 1
            return _json(known)
        key = orjson.dumps([spec.name, args, offline], default=str)

        def run() -> dict[str, Any]:
            return functions.call_function(svc, spec, args, offline=offline)

        return _json(await backend.call(key, run))

    async def status(request: Request) -> Response:
        from ecore_xl.formulas.status import status_items

        offline = _flag(request.query_params.get("offline"))
        items = status_items(
            lambda: svc,
            offline=bool(offline) if offline is not None else svc.settings.offline,
            offline_source="add-in toggle" if offline is not None else "ECORE_OFFLINE",
        )
        items.append(("backend", options.url))
        table = functions.status_table(items)
        return _json({**table, "backend": backend.stats.as_dict(), "jobs": len(backend.jobs)})

    async def doctor(request: Request) -> Response:
        from ecore_xl.api.doctor import check_connection

        settings = svc.settings
        report = await backend.call("doctor", lambda: check_connection(settings=settings))
        return _json(report.as_dict())

    async def insert_table(request: Request) -> Response:
        from ecore_xl.serve.workbook_plan import table_ops

        ds = svc.dataset(request.path_params["dataset"])
        body = await _body(request)
        offline = _flag(body.get("offline"))

        def run() -> dict[str, Any]:
            return table_ops(svc, ds.name, body, offline=offline)

        return _json(await backend.call(orjson.dumps([ds.name, body], default=str), run))

    async def job_refresh(request: Request) -> Response:
        return _json(backend.jobs.refresh(await _body(request)).as_dict(), 202)

    async def job_report(request: Request) -> Response:
        return _json(backend.jobs.report(await _body(request)).as_dict(), 202)

    async def job(request: Request) -> Response:
        return _json(backend.jobs.get(request.path_params["id"]).as_dict())

    async def job_file(request: Request) -> Response:
        path = backend.jobs.file(request.path_params["id"])
        return FileResponse(path, media_type=_XLSX, headers={
            **_NO_STORE, "Content-Disposition": attachment(path.name),
            "X-Content-Type-Options": "nosniff",
        })  # fmt: skip

    async def addin(request: Request) -> Response:
        name = request.path_params["path"]
        if name == "functions.json":
            return _json(functions_json(svc.catalogue))
        if name == "manifest.xml":
            from ecore_xl.serve.manifest import manifest_xml

            return Response(manifest_xml(options.url), media_type="application/xml",
                            headers=_NO_STORE)  # fmt: skip
        target = (files / name).resolve()
        if files not in target.parents or not target.is_file():
            return _json({"error": {"code": "NotFound", "message": f"No add-in file {name}.",
                                    "excel": "#N/A", "status": 404}}, 404)  # fmt: skip
        if target.suffix == ".html":
            page = target.read_text(encoding="utf-8").replace(
                "%ECORE_TOKEN%", json.dumps(options.token)[1:-1]
            )
            return Response(page, media_type="text/html",
                            headers={**_NO_STORE, "Content-Security-Policy": _CSP})  # fmt: skip
        return FileResponse(target, headers={"Cache-Control": "no-cache"})

    async def root(request: Request) -> Response:
        return RedirectResponse("/addin/taskpane.html")

    routes = [
        Route("/", root),
        Route(f"{API}/health", _guarded(health)),
        Route(f"{API}/catalogue", _guarded(catalogue)),
        Route(f"{API}/choices/{{dataset}}/{{filter}}", _guarded(choices)),
        Route(f"{API}/fetch/{{dataset}}", _guarded(fetch)),
        Route(f"{API}/functions", _guarded(function_list)),
        Route(f"{API}/functions/{{name}}", _guarded(call), methods=["POST"]),
        Route(f"{API}/status", _guarded(status)),
        Route(f"{API}/doctor", _guarded(doctor)),
        Route(f"{API}/tables/{{dataset}}", _guarded(insert_table), methods=["POST"]),
        Route(f"{API}/jobs/refresh", _guarded(job_refresh), methods=["POST"]),
        Route(f"{API}/jobs/report", _guarded(job_report), methods=["POST"]),
        Route(f"{API}/jobs/{{id}}", _guarded(job)),
        Route(f"{API}/jobs/{{id}}/file", _guarded(job_file)),
        Route("/addin/{path:path}", _guarded(addin)),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        backend.jobs.close()

    middleware = [
        Middleware(TrustedHostMiddleware, allowed_hosts=list(options.hosts)),
        Middleware(
            CORSMiddleware,
            allow_origins=list(options.origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        ),
        Middleware(_Guard, token=options.token, origins=options.origins),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


async def _body(request: Request) -> dict[str, Any]:
    """The JSON object of a request, at most :data:`_MAX_BODY` bytes: a larger one is refused
    (413, one line) by its Content-Length before it is read, or once that many bytes came."""
    from ecore_xl.serve.errors import RequestTooLargeError

    too_large = RequestTooLargeError(
        f"The request is larger than the backend takes ({_MAX_BODY // 2**20} MiB): refresh "
        "one sheet or the selection at a time, or send fewer arguments."
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > _MAX_BODY:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_BODY:
            raise too_large
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise UsageError("The request body is not JSON.") from None
    if not isinstance(body, dict):
        raise UsageError("The request body must be a JSON object.")
    return body
