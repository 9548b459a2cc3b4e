"""Evidence: bad input never gives a traceback and never reaches the API as an invalid parameter.

Property-based (hypothesis, bounded examples, no deadline) over the three doors users type into:

* ``normalise_filters`` / ``DataService.fetch`` — filter names and values;
* the ``ECORE_*`` worksheet functions — cell values in every argument;
* ``ecore-xl fetch DATASET --filter k=v --from --to`` through click's CliRunner.

Inputs are a valid call (ids of the mock's portfolio, enums, ``from`` < ``to`` at most two months
apart in 2026, so a valid call costs a few requests) or one with exactly one thing wrong: a value
replaced by anything a cell can hold (garbage text, NaN, inf, huge numbers, booleans, ranges), a
required filter dropped, or a name that is no filter. Each either works or gives an
:class:`~ecore_xl.errors.EcoreError` with a one-line message (a ``#ECORE! ...`` cell, one
``Error: ...`` line and exit code 1/2 on the terminal). The mock answers 400 ``InvalidParameter``
to a request with a bad parameter; its request log (``ecore_xl.mock`` at DEBUG) is read to prove
that no such request was sent, and the request counter that an invalid filter sent nothing.

Filters whose values only the API can check (free text in the catalogue) would be listed in
:data:`API_VALIDATED`, their 400 being the (clear, one-line) answer; none is left since invoice
``status`` and relationship ``entityType`` became enums.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecore_xl.catalogue import builtin_catalogue
from ecore_xl.cli import cli
from ecore_xl.config import Settings
from ecore_xl.data import DataService, normalise_filters, reset_service, set_service
from ecore_xl.errors import BadRequestError, EcoreError, InvalidFilterError
from ecore_xl.mock import MockServer, Portfolio

AS_OF = dt.date(2026, 11, 15)
CATALOGUE = builtin_catalogue()
TZ = "Europe/Berlin"
#: (dataset, filter) whose allowed values only the API knows (free text in the catalogue)
API_VALIDATED: set[tuple[str, str]] = set()
#: a cell's error text is cut to this (``excel.results.error_text``)
MAX_CELL_ERROR = 260
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run: a failure is reproducible in CI
)


# ---- strategies ---------------------------------------------------------------------------------

IDS = ["MTR-0001", "MTR-0002", "MTR-9999", "C-0001", "PF-0001", "LE-0001", "BU-0001", "INV-1"]
WORDS = [
    "power", "gas", "GAS", "active", "expired", "planned", "paid", "open", "meter", "contract",
    "quarterhour", "hour", "day", "month", "quarter", "year", "actual", "forecast", "long", "wide",
    "legalEntity", "businessUnit", "portfolio", "true", "FALSE", "2026-03", "2026-Q1", "Q4-26",
    "2026",
]  # fmt: skip
GOOD_DATES = st.dates(dt.date(2025, 1, 1), dt.date(2026, 12, 31))
DATE_TEXT = st.one_of(
    GOOD_DATES.map(dt.date.isoformat),
    GOOD_DATES.map(lambda d: d.strftime("%d.%m.%Y")),
    GOOD_DATES.map(lambda d: f"{d.isoformat()}T06:00:00+01:00"),
    GOOD_DATES.map(lambda d: f"{d.isoformat()}T06:00:00"),  # naive: wall-clock time in tz
    GOOD_DATES.map(lambda d: f"{d.isoformat()} 06:00:00 01:00"),  # a '+' lost in a URL
    st.sampled_from(["2026-02-30", "2026-13-01", "31.02.2026", "yesterday", "2026-03-29T02:30"]),
)
#: Excel serial numbers of 2025-2026, and numbers that are no date at all
SERIALS = st.one_of(
    st.floats(45658, 46387, allow_nan=False),
    st.sampled_from([0.0, -1.0, 60.0, 1e308, math.nan, math.inf, -math.inf, 3e6]),
)
TEXT = st.one_of(
    st.sampled_from(IDS + WORDS),
    st.text(max_size=30),
    st.text(alphabet="=;,:/?&%+ \t\nabcMTR-0123", max_size=40),
    st.just("x" * 300),
)
SCALAR = st.one_of(
    st.none(),
    TEXT,
    DATE_TEXT,
    SERIALS,
    st.integers(-(2**40), 2**40),
    st.booleans(),
    GOOD_DATES.map(lambda d: dt.datetime(d.year, d.month, d.day)),
)
#: a cell or a small range (list of rows), as xlwings hands them to a function
CELL = st.one_of(SCALAR, st.lists(st.lists(SCALAR, min_size=1, max_size=3), min_size=1, max_size=3))
OPTION = st.one_of(
    st.none(),
    st.builds(
        lambda k, v: f"{k}={v}",
        st.sampled_from(
            [
                "type",
                "granularity",
                "layout",
                "header",
                "columns",
                "status",
                "commodity",
                "meterId",
                "from",
                "to",
                "refresh",
                "foo",
                "",
                "top",
            ]
        ),
        st.one_of(st.sampled_from(WORDS + IDS), DATE_TEXT, st.text(max_size=10)),
    ),
    TEXT,
)


# near-valid inputs: each filter mostly gets a value the mock knows, sometimes one of the above,
# so that examples both pass validation (and reach the mock) and fail it one value at a time

PF = Portfolio(seed=42, meters=2, years=(2026,), as_of=AS_OF)
KNOWN_IDS = {
    "meterId": [m["id"] for m in PF.meters],
    "contractId": [c["id"] for c in PF.contracts],
    "portfolioId": [p["id"] for p in PF.portfolios],
    "legalEntityId": [e["id"] for e in PF.legal_entities],
    "businessUnitId": [b["id"] for b in PF.business_units],
    "entityId": [m["id"] for m in PF.meters] + [e["id"] for e in PF.legal_entities],
    "supplier": sorted({i["supplier"] for i in PF.invoices}),
    "status": ["paid", "open", "disputed"],  # invoices (contracts: an enum, below)
    "entityType": ["legalEntity", "businessUnit", "meter", "contract", "portfolio"],
}
MOCK_DATES = st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
GOOD_DATE = st.one_of(
    MOCK_DATES.map(dt.date.isoformat),
    MOCK_DATES.map(lambda d: d.strftime("%d.%m.%Y")),
    MOCK_DATES.map(lambda d: dt.datetime(d.year, d.month, d.day, 6)),
    MOCK_DATES.map(lambda d: float((d - dt.date(1899, 12, 30)).days)),  # an Excel serial
)


def good_value(f: Any) -> st.SearchStrategy[Any]:
    """A value of filter ``f`` that the mock knows (ids of its portfolio, allowed enums)."""
    if f.type == "date":
        return GOOD_DATE
    if f.allowed:
        return st.sampled_from([*f.allowed, *(a.upper() for a in f.allowed)])
    ids = KNOWN_IDS.get(f.name, IDS)
    return st.one_of(
        st.sampled_from(ids),
        st.lists(st.sampled_from(ids), min_size=1, max_size=2).map(",".join),
        st.lists(st.sampled_from(ids), min_size=1, max_size=2).map(lambda v: [[x] for x in v]),
    )


def good_text(f: Any) -> st.SearchStrategy[str]:
    """A good value of filter ``f`` as typed text (an option, a ``--filter k=v``)."""
    if f.type == "date":
        return MOCK_DATES.map(dt.date.isoformat)
    if f.allowed:
        return st.sampled_from(list(f.allowed))
    ids = KNOWN_IDS.get(f.name, IDS)
    return st.lists(st.sampled_from(ids), min_size=1, max_size=2).map(",".join)


def date_pair() -> st.SearchStrategy[tuple[Any, Any]]:
    """``(from, to)`` in order, at most two months apart (so a valid fetch stays small)."""

    def ordered(start: dt.date, days: int, a: int, b: int) -> tuple[Any, Any]:
        end = start + dt.timedelta(days=days)
        forms = (dt.date.isoformat, lambda d: d.strftime("%d.%m.%Y"),
                 lambda d: float((d - dt.date(1899, 12, 30)).days), lambda d: d)  # fmt: skip
        return forms[a](start), forms[b](end)

    good = st.builds(
        ordered,
        st.dates(dt.date(2026, 1, 1), dt.date(2026, 10, 31)),
        st.integers(1, 62),
        st.integers(0, 3),
        st.integers(0, 3),
    )
    return good


def valid_filters(dataset: str) -> st.SearchStrategy[dict[str, Any]]:
    """Filter dicts of ``dataset`` the mock accepts: required ones set, others any subset."""
    ds = CATALOGUE.get(dataset)
    names = {f.name for f in ds.filters}
    needed = {f.name for f in ds.filters if f.required}
    if ds.one_of:
        needed.add(ds.one_of[0])
    fixed = {f.name: good_value(f) for f in ds.filters if f.name in needed - {"from", "to"}}
    optional = {
        f.name: good_value(f)
        for f in ds.filters
        if f.name not in needed | {"from", "to"} and f.name not in (ds.one_of or ())
    }
    picked = st.fixed_dictionaries(fixed, optional=optional)
    if {"from", "to"} <= names:
        dates = date_pair() if {"from", "to"} <= needed else st.one_of(date_pair(), st.none())
        picked = st.builds(
            lambda d, p: {**p, **({"from": d[0], "to": d[1]} if d else {})}, dates, picked
        )
    return picked


WRONG_NAMES = st.sampled_from(["unknown", "top", "", "meter id", "FROM", "from_", "to_date"])


def filters_for(dataset: str) -> st.SearchStrategy[dict[str, Any]]:
    """A valid filter dict, or one with exactly one thing wrong: a value replaced by any cell
    value, a filter dropped, or a name that is not a filter."""
    ds = CATALOGUE.get(dataset)
    names = [f.name for f in ds.filters]

    def mutate(filters: dict[str, Any], how: int, which: int, value: Any, name: str) -> Any:
        out = dict(filters)
        if how == 1 and names:
            out[names[which % len(names)]] = value
        elif how == 2 and out:
            out.pop(sorted(out)[which % len(out)])
        elif how == 3:
            out[name] = value
        return out

    return st.builds(
        mutate, valid_filters(dataset), st.integers(0, 3), st.integers(0, 20), CELL, WRONG_NAMES
    )


def option_for(dataset: str, positional: set[str]) -> st.SearchStrategy[Any]:
    """A sensible option slot: empty, a display option, or ``key=value`` for a filter of the
    dataset that has no positional argument (``type=forecast`` for volumes)."""
    ds = CATALOGUE.get(dataset)
    extra = [f for f in ds.filters if f.name not in positional and f.name not in (ds.one_of or ())]
    pairs = [st.tuples(st.just(f.name), good_text(f)).map("=".join) for f in extra]
    display = st.sampled_from(["header=FALSE", "header=true", "columns=" + ds.fields[0].name])
    return st.one_of(st.none(), display, *pairs)


# ---- the mock and its request log -------------------------------------------------------------


class StatusLog(logging.Handler):
    """Counts the status codes the mock answered, from its request log."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if isinstance(args, tuple) and len(args) == 4:  # address, request line, code, size
            self.lines.append((str(args[1]), str(args[2])))

    def bad_requests(self) -> list[str]:
        return [line for line, code in self.lines if code == "400"]

    def clear(self) -> None:
        self.lines.clear()


@pytest.fixture(scope="module")
def srv() -> Iterator[MockServer]:
    with MockServer(seed=42, meters=2, years=(2026,), as_of=AS_OF) as server:
        yield server


@pytest.fixture
def status_log() -> Iterator[StatusLog]:
    handler = StatusLog()
    logger = logging.getLogger("ecore_xl.mock")
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


@pytest.fixture
def service(srv: MockServer) -> Iterator[DataService]:
    settings_ = Settings.load(use_file=False, use_keyring=False, environ=srv.env(), retries=0)
    svc = DataService(settings_)
    set_service(svc)
    yield svc
    reset_service()


def one_line(message: str) -> None:
    assert message.strip(), "an empty error message"
    assert "\n" not in message and "\r" not in message, message
    assert "Traceback" not in message, message


def api_validated_400(bad: list[str]) -> list[str]:
    """The 400s that are not explained by :data:`API_VALIDATED`."""
    out = []
    for line in bad:
        path = line.split(" ")[1].split("?")[0].removeprefix("/v1")
        query = line.split("?", 1)[1].split(" ")[0] if "?" in line else ""
        names = {pair.split("=", 1)[0] for pair in query.split("&")}
        explained = any(CATALOGUE.get(ds).path == path and f in names for ds, f in API_VALIDATED)
        if not explained:
            out.append(line)
    return out


# ---- 1. the filter normaliser (pure) ----------------------------------------------------------


@pytest.mark.parametrize("dataset", CATALOGUE.names())
def test_normalise_filters_returns_text_or_names_the_filter(dataset: str) -> None:
    ds = CATALOGUE.get(dataset)

    @PROPERTY
    @given(filters_for(dataset))
    def check(filters: dict[str, Any]) -> None:
        try:
            out = normalise_filters(ds, filters, tz=TZ)
        except InvalidFilterError as exc:
            one_line(exc.message)
            assert exc.parameter is not None
            return
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in out.items())
        for f in ds.filters:  # an enum comes out in the catalogue's own spelling
            if f.allowed and f.name in out:
                assert set(out[f.name].split(",")) <= set(f.allowed), out

    check()


# ---- 2. the data layer against the mock -------------------------------------------------------


@pytest.mark.parametrize("dataset", CATALOGUE.names())
def test_fetch_works_or_raises_one_line_and_sends_nothing_invalid(
    dataset: str, srv: MockServer, service: DataService, status_log: StatusLog
) -> None:
    @settings(PROPERTY, max_examples=25)
    @given(filters_for(dataset))
    def check(filters: dict[str, Any]) -> None:
        service.cache.clear()
        before = srv.stats.data_requests
        try:
            df = service.fetch(dataset, **{k or "blank": v for k, v in filters.items()})
        except InvalidFilterError as exc:
            one_line(exc.message)
            assert srv.stats.data_requests == before, "a request despite invalid filters"
        except EcoreError as exc:
            one_line(exc.message)
            if isinstance(exc, BadRequestError):
                assert (dataset, exc.target) in API_VALIDATED, exc.message
        else:
            assert df.shape[1] > 0

    check()
    assert api_validated_400(status_log.bad_requests()) == []


# ---- 3. the worksheet functions ---------------------------------------------------------------


def udf_names() -> list[str]:
    from ecore_xl.excel import udfs

    return [n for n in udfs.udf_names() if n != "ECORE_STATUS"]


def check_cell_answer(result: Any) -> None:
    """What a function may give Excel: a value, a table (rows), or one line of ``#ECORE!``."""
    if isinstance(result, str):
        if result.startswith("#ECORE!"):
            one_line(result)
            assert len(result) <= MAX_CELL_ERROR, result
        assert not result.startswith("#ECORE! unexpected"), result  # a bug, not bad input
    elif isinstance(result, list):
        assert result and all(isinstance(row, list) for row in result)
        assert len({len(row) for row in result}) == 1, "ragged table"
    else:
        assert result is None or isinstance(result, int | float | bool | dt.datetime), result


PERIODS = st.one_of(
    st.sampled_from(["2026-03", "2026-Q1", "Q4-26", "2026", "2026-13", "Q5-26", "March"]),
    GOOD_DATE,
    st.just(2026.0),
)
HAND_WRITTEN: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "ECORE_VOLUME_TOTAL": {
        "meter_or_contract": st.sampled_from(
            [*KNOWN_IDS["meterId"], *KNOWN_IDS["contractId"], "meter:MTR-0001", "contract:X"]
        ),
        "option1": st.sampled_from([None, "type=forecast", "granularity=day", "type=actual"]),
        "option2": st.sampled_from([None, "granularity=hour"]),
    },
    "ECORE_HEDGE_RATIO": {
        "portfolio": st.sampled_from(KNOWN_IDS["portfolioId"]),
        "period": PERIODS,
    },
    "ECORE_OPEN_POSITION": {
        "portfolio": st.sampled_from(KNOWN_IDS["portfolioId"]),
        "period": PERIODS,
    },
}


def udf_arguments(name: str) -> st.SearchStrategy[tuple[Any, ...]]:
    """Positional arguments for worksheet function ``name``: a coherent, mostly valid call
    (from :func:`filters_for`), sometimes with one argument replaced by any cell value."""
    import inspect

    from ecore_xl.excel import udfs

    if name == "ECORE_GET":
        path = st.sampled_from(
            ["/contracts", "/volumes", "/invoices/INV-000001", "/portfolios/PF-0001/positions",
             "/meters?commodity=gas", "/nope", "", "contracts"]
        )  # fmt: skip
        params = st.one_of(
            st.none(), st.sampled_from(["commodity=gas", "status=active", "top=5"]), OPTION
        )
        return st.tuples(st.one_of(path, path, TEXT), params, params)
    params = list(inspect.signature(getattr(udfs, name)).parameters)
    ds = next((d for d in CATALOGUE if d.function == name), None)
    if ds is not None:
        by_arg = {udfs.excel_arg_name(f.name): f.name for f in ds.filters}
        layout = st.sampled_from([None, "long", "wide", "LONG"])

        def call(filters: dict[str, Any], lay: Any, opts: list[Any]) -> list[Any]:
            slots = iter(opts)
            out = []
            for p in params:
                if p == "layout":
                    out.append(lay)
                elif p.startswith("option"):
                    out.append(next(slots))
                else:
                    out.append(filters.get(by_arg.get(p, "")))
            return out

        n_opts = sum(p.startswith("option") for p in params)
        first = option_for(ds.name, set(by_arg.values()))
        calls = st.builds(
            call,
            valid_filters(ds.name),
            layout,
            st.tuples(first, *(st.none() for _ in range(n_opts - 1))).map(list),
        )
    else:
        good = HAND_WRITTEN[name]

        def call_hand(values: dict[str, Any], dates: tuple[Any, Any]) -> list[Any]:
            values = {**values, "from_date": dates[0], "to_date": dates[1]}
            return [values.get(p) for p in params]

        calls = st.builds(call_hand, st.fixed_dictionaries(good), date_pair())

    def mutate(args: list[Any], where: int, value: Any) -> tuple[Any, ...]:
        if where < len(args):
            args[where] = value
        return tuple(args)

    return st.builds(mutate, calls, st.integers(0, 2 * len(params)), CELL)


@pytest.mark.parametrize("name", udf_names())
def test_worksheet_functions_answer_every_argument_in_one_cell(
    name: str, srv: MockServer, service: DataService, status_log: StatusLog
) -> None:
    from ecore_xl.excel import udfs

    func = getattr(udfs, name)

    @settings(PROPERTY, max_examples=30)
    @given(udf_arguments(name))
    def check(args: tuple[Any, ...]) -> None:
        service.cache.clear()
        check_cell_answer(func(*args))

    check()
    bad = status_log.bad_requests()
    if name != "ECORE_GET":  # ECORE_GET sends any query it is given: the API decides
        assert api_validated_400(bad) == [], bad


# ---- 4. the command line ----------------------------------------------------------------------


def cli_arguments() -> st.SearchStrategy[list[str]]:
    """``fetch DATASET [--filter k=v]... [--from X] [--to Y]``: the filters of
    :func:`filters_for` (valid, or one thing wrong) as a user types them, or a wrong dataset."""

    def render(dataset: str, filters: dict[str, Any]) -> list[str]:
        args = ["fetch", dataset]
        dates = {f.name for f in CATALOGUE.get(dataset).filters if f.type == "date"}
        for name, value in filters.items():
            if name in dates and isinstance(value, float) and 45658 <= value <= 46387:
                value = dt.date(1899, 12, 30) + dt.timedelta(days=int(value))  # typed as a date
            if name in ("from", "to"):
                args += [f"--{name}", _as_text(value)]
            else:
                args += ["--filter", f"{name}={_as_text(value)}"]
        return args

    def for_dataset(name: str) -> st.SearchStrategy[list[str]]:
        if name not in CATALOGUE:
            return st.just(["fetch", name])
        return st.builds(render, st.just(name), filters_for(name))

    return st.sampled_from([*CATALOGUE.names(), "nonsense"]).flatmap(for_dataset)


def _as_text(value: Any) -> str:
    """A value as a user would type it on the command line."""
    if isinstance(value, list):
        return ",".join(_as_text(x) for x in value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return "" if value is None else str(value)


def check_cli(runner: CliRunner, srv: MockServer, args: list[str]) -> None:
    """``ecore-xl`` ran to an exit code: 0 with a table, or 1/2 with one ``Error:`` line."""
    reset_service()  # a fresh process, as far as the cache goes
    result = runner.invoke(cli, args, env={**srv.env(), "ECORE_RETRIES": "0"})
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        result.exception,
    )
    assert "Traceback" not in result.output + result.stderr
    if result.exit_code == 0:
        last = result.output.splitlines()[-1]
        assert re.search(r"\brows? x \d+ columns?\b", last) or last.startswith("(no rows;")
        return
    assert result.exit_code in (1, 2), (args, result.exit_code)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    one_line(errors[0])


def test_cli_fetch_exits_cleanly_for_any_filter(srv: MockServer, status_log: StatusLog) -> None:
    runner = CliRunner()

    @settings(PROPERTY, max_examples=50)
    @given(cli_arguments())
    def check(args: list[str]) -> None:
        check_cli(runner, srv, args)

    check()
    for args in (  # what the strategy does not write: option syntax
        ["fetch", "contracts", "--filter", "=x"],
        ["fetch", "contracts", "--filter", "status"],
        ["fetch", "contracts", "--filter", "status=active", "--filter", "status=planned"],
        ["fetch", "volumes", "--from", "2026-03-01", "--to", "2026-04-01", "--granularity", "x"],
        ["fetch", "contracts", "--out", "contracts.pdf"],
        ["fetch"],
    ):
        check_cli(runner, srv, args)
    assert api_validated_400(status_log.bad_requests()) == []


# ---- 5. ranges at the edges of the calendar ---------------------------------------------------

#: more requests than this for one fetch is a formula gone wrong, not a question
SANE_REQUESTS = 1000


class Unbounded(Exception):
    """Raised by the progress callback before the first request of a huge plan."""


def refuse_huge(done: int, planned: int) -> None:
    if planned > SANE_REQUESTS:
        raise Unbounded(f"{planned:,} requests planned for one fetch")


EXTREMES = [
    (1.0, 2958465.0),  # Excel's first and last date
    ("1900-01-01", "9999-12-31"),
    ("9999-12-15", "9999-12-31"),
    ("0001-01-01", "2026-01-02"),
    (-1.0, 46023.0),
]
EDGE_CASES = [
    (ds, a, b) for ds in ("clicks", "invoices", "positions", "volumes") for a, b in EXTREMES
]
#: (dataset, index in EXTREMES) whose plan is refused by ECORE_MAX_REQUESTS before any request
#: (1900-9999 by month: ~97,000 requests per meter)
TOO_MANY = {("volumes", 0), ("volumes", 1), ("volumes", 3)}


@pytest.mark.parametrize(("dataset", "start", "end"), EDGE_CASES)
def test_calendar_edges_are_refused_or_bounded(
    srv: MockServer, service: DataService, dataset: str, start: Any, end: Any
) -> None:
    ids = {"volumes": {"meterId": "MTR-0001"}, "positions": {"portfolioId": "PF-0001"}}
    filters = {**ids.get(dataset, {}), "from": start, "to": end}
    if (dataset, EXTREMES.index((start, end))) in TOO_MANY:
        srv.reset_stats()
        with pytest.raises(InvalidFilterError, match="requests, more than ECORE_MAX_REQUESTS"):
            service.fetch(dataset, progress=refuse_huge, **filters)
        assert srv.stats.data_requests + srv.stats.token_requests == 0
    try:
        service.fetch(dataset, progress=refuse_huge, **filters)
    except EcoreError as exc:
        one_line(exc.message)
