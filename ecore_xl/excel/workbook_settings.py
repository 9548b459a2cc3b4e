"""The ``eCore`` settings sheet: what a workbook refreshes, declared in the workbook itself.

A visible sheet ``eCore`` holds one named cell per setting (``ecore.from``, ``ecore.to``,
``ecore.meters``, ``ecore.contracts``, ``ecore.portfolio``, ``ecore.legalEntity``,
``ecore.granularity``, ``ecore.layout``, ``ecore.datasets``, ``ecore.offline``), so a refresh is
reproducible and the workbook documents itself. Below them, the *last refresh* block (found by
the name ``ecore.lastRefresh``) lists per dataset its table, rows, fetch time, filters and source;
the snapshot's Provenance sheet is built from it. Drop-down lists for meters, contracts,
portfolios and legal entities take their items from the hidden sheet ``eCoreLists`` (names
``lstMeters``, ``lstContracts``, ``lstPortfolios``, ``lstLegalEntities``), refreshed from the API.

Everything goes through :class:`~ecore_xl.excel.sheets.SheetWriter`, so the live add-in and the
headless ``ecore-xl refresh`` read and write the sheet the same way. Names are found wherever the
user moved the cells; a missing sheet is created with defaults.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ecore_xl.errors import UsageError
from ecore_xl.excel.sheets import SheetWriter
from ecore_xl.formulas.args import is_empty, parse_bool, parse_ids

__all__ = [
    "DEFAULT_DATASETS",
    "LISTS",
    "LISTS_SHEET",
    "SETTINGS",
    "SETTINGS_SHEET",
    "LastRefresh",
    "Setting",
    "WorkbookSettings",
    "ensure_settings_sheet",
    "read_last_refresh",
    "read_settings",
    "set_offline",
    "write_last_refresh",
    "write_lists",
]

SETTINGS_SHEET = "eCore"
LISTS_SHEET = "eCoreLists"
DEFAULT_DATASETS = ("contracts", "clicks", "volumes", "positions", "invoices")
GRANULARITIES = ("quarterhour", "hour", "day", "month", "quarter")
LAYOUTS = ("long", "wide")
LAST_REFRESH_NAME = "ecore.lastRefresh"
LAST_REFRESH_COLUMNS = (
    "Dataset",
    "Sheet",
    "Table",
    "Rows",
    "Fetched (UTC)",
    "Fetched (local)",
    "Filters",
    "Source",
)
_FIRST_ROW = 5


@dataclass(frozen=True)
class Setting:
    """One named cell of the settings sheet."""

    key: str  # attribute of WorkbookSettings
    name: str  # defined name
    label: str
    help: str
    choices: tuple[str, ...] = ()
    list_name: str | None = None  # drop-down fed from the lists sheet


SETTINGS: tuple[Setting, ...] = (
    Setting("from_", "ecore.from", "From", "first day (inclusive), a date"),
    Setting("to", "ecore.to", "To", "last day (exclusive), a date"),
    Setting(
        "meters",
        "ecore.meters",
        "Meters",
        "meter ids, comma-separated; empty: all meters (volumes)",
        list_name="lstMeters",
    ),
    Setting(
        "contracts",
        "ecore.contracts",
        "Contracts",
        "contract ids, comma-separated; empty: all",
        list_name="lstContracts",
    ),
    Setting(
        "portfolio",
        "ecore.portfolio",
        "Portfolio",
        "portfolio ids, comma-separated; empty: all (positions)",
        list_name="lstPortfolios",
    ),
    Setting(
        "legal_entity",
        "ecore.legalEntity",
        "Legal entity",
        "legal entity id; empty: all",
        list_name="lstLegalEntities",
    ),
    Setting(
        "granularity",
        "ecore.granularity",
        "Granularity",
        "volumes: quarterhour, hour, day or month; positions: month or quarter",
        choices=GRANULARITIES,
    ),
    Setting(
        "layout",
        "ecore.layout",
        "Volume layout",
        "long (one row per meter and interval) or wide (one column per meter)",
        choices=LAYOUTS,
    ),
    Setting(
        "datasets",
        "ecore.datasets",
        "Datasets",
        "what 'Refresh all' refreshes, comma-separated",
    ),
    Setting(
        "offline",
        "ecore.offline",
        "Offline",
        "TRUE: refresh from saved snapshots only, never call the API",
        choices=("TRUE", "FALSE"),
    ),
)

#: list name -> (header on the lists sheet, dataset, id field, label field)
LISTS: dict[str, tuple[str, str, str, str]] = {
    "lstMeters": ("meters", "meters", "id", "name"),
    "lstContracts": ("contracts", "contracts", "id", "name"),
    "lstPortfolios": ("portfolios", "portfolios", "id", "name"),
    "lstLegalEntities": ("legalEntities", "legal-entities", "id", "name"),
}


@dataclass(frozen=True)
class WorkbookSettings:
    """The settings a workbook declares (already parsed; ids as text)."""

    from_: dt.date | dt.datetime | str | None = None
    to: dt.date | dt.datetime | str | None = None
    meters: tuple[str, ...] = ()
    contracts: tuple[str, ...] = ()
    portfolio: tuple[str, ...] = ()
    legal_entity: tuple[str, ...] = ()
    granularity: str | None = None
    layout: str = "long"
    datasets: tuple[str, ...] = DEFAULT_DATASETS
    offline: bool = False


@dataclass(frozen=True)
class LastRefresh:
    """One row of the last-refresh block (and of the snapshot's Provenance sheet)."""

    dataset: str
    sheet: str
    table: str
    rows: int
    fetched_utc: dt.datetime | None
    fetched_local: dt.datetime | None
    filters: str
    source: str

    def values(self) -> list[Any]:
        return [
            self.dataset,
            self.sheet,
            self.table,
            self.rows,
            self.fetched_utc,
            self.fetched_local,
            self.filters,
            self.source,
        ]


# ---- defaults and layout ----------------------------------------------------------------------


def default_values(today: dt.date | None = None) -> dict[str, Any]:
    """A new sheet's values: last full month, hourly, long layout, the usual five datasets."""
    today = today or dt.date.today()
    first = today.replace(day=1)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    return {
        "from_": previous,
        "to": first,
        "granularity": "hour",
        "layout": "long",
        "datasets": ", ".join(DEFAULT_DATASETS),
        "offline": False,
    }


def _value_cell(row: int) -> str:
    return f"B{row}"


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'" if re.search(r"[^A-Za-z0-9_.]", sheet) else sheet


def _absolute(sheet: str, cell: str) -> str:
    m = re.match(r"^\$?([A-Z]+)\$?(\d+)$", cell)
    if not m:
        raise ValueError(cell)
    return f"{_quoted(sheet)}!${m[1]}${m[2]}"


def ensure_settings_sheet(writer: SheetWriter, *, today: dt.date | None = None) -> bool:
    """Create the ``eCore`` sheet with defaults when missing, and any missing name; True if new.

    An existing sheet keeps every value the user typed; only names that are missing are added
    (pointing at their standard cell, if its label is still there).
    """
    names = {n.casefold(): v for n, v in writer.defined_names().items()}
    wanted = [s.name.casefold() for s in SETTINGS] + [LAST_REFRESH_NAME.casefold()]
    sheets = set(writer.sheet_names())
    targets = [name_target(names.get(n, "")) for n in wanted]
    if all(t is not None and t[0] in sheets for t in targets):
        return False  # every name resolves (the user may have renamed or moved the sheet)
    created = writer.ensure_sheet(SETTINGS_SHEET, first=False)
    if created:
        defaults = default_values(today)
        cells: dict[str, Any] = {
            "A1": "eCore settings",
            "A2": "Refresh with the eCore ribbon tab, or headless: ecore-xl refresh <this file>",
            "A4": "Setting",
            "B4": "Value",
            "C4": "What it means",
        }
        fmt: dict[str, str] = {}
        for i, s in enumerate(SETTINGS):
            row = _FIRST_ROW + i
            cells[f"A{row}"] = s.label
            cells[f"B{row}"] = defaults.get(s.key)
            cells[f"C{row}"] = s.help
            if s.key in ("from_", "to"):
                fmt[f"B{row}"] = "yyyy-mm-dd"
        block = _FIRST_ROW + len(SETTINGS) + 2
        cells[f"A{block - 1}"] = "Last refresh"
        for j, label in enumerate(LAST_REFRESH_COLUMNS):
            cells[f"{chr(ord('A') + j)}{block}"] = label
        writer.write_cells(SETTINGS_SHEET, cells, fmt=fmt)
        writer.define_name(LAST_REFRESH_NAME, _absolute(SETTINGS_SHEET, f"A{block}"))
        names[LAST_REFRESH_NAME.casefold()] = "new"
    for i, s in enumerate(SETTINGS):
        if s.name.casefold() in names:
            continue
        row = _FIRST_ROW + i
        (label,) = writer.read_cells(SETTINGS_SHEET, [f"A{row}"])
        if not created and str(label or "").strip().casefold() != s.label.casefold():
            raise UsageError(
                f"The {SETTINGS_SHEET} sheet has no cell named {s.name}: name the cell that holds "
                f"'{s.label}' {s.name} (Formulas > Define Name), or delete the sheet to get a new "
                "one."
            )
        writer.define_name(s.name, _absolute(SETTINGS_SHEET, _value_cell(row)))
        if s.choices:
            source = '"' + ",".join(s.choices) + '"'
            writer.set_list_validation(SETTINGS_SHEET, _value_cell(row), source, prompt=s.help)
    if LAST_REFRESH_NAME.casefold() not in names:
        block = _FIRST_ROW + len(SETTINGS) + 2
        (head,) = writer.read_cells(SETTINGS_SHEET, [f"A{block}"])
        if head != LAST_REFRESH_COLUMNS[0]:
            writer.write_cells(
                SETTINGS_SHEET,
                {f"{chr(ord('A') + j)}{block}": c for j, c in enumerate(LAST_REFRESH_COLUMNS)},
            )
        writer.define_name(LAST_REFRESH_NAME, _absolute(SETTINGS_SHEET, f"A{block}"))
    return created


# ---- reading ----------------------------------------------------------------------------------


_REF = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?(\d+)$")


def name_target(refers_to: str) -> tuple[str, str] | None:
    """``eCore!$B$5`` -> ``("eCore", "B5")``; None for anything that is not one cell."""
    m = _REF.match(refers_to.strip())
    if not m:
        return None
    sheet = m[1].replace("''", "'") if m[1] else m[2]
    return sheet, f"{m[3]}{m[4]}"


def _read_named(
    writer: SheetWriter, wanted: Sequence[str], today: dt.date | None = None
) -> dict[str, Any]:
    """The values of the named cells; a formula (a file read without Excel) is evaluated
    (:mod:`.settings_formulas`: rolling windows such as ``=TODAY()-30``)."""
    from ecore_xl.excel.settings_formulas import evaluate

    names = {n.casefold(): v for n, v in writer.defined_names().items()}
    by_sheet: dict[str, list[tuple[str, str]]] = {}
    for name in wanted:
        target = name_target(names.get(name.casefold(), ""))
        if target is not None:
            by_sheet.setdefault(target[0], []).append((name, target[1]))
    out: dict[str, Any] = {}
    sheets = set(writer.sheet_names())

    def read(sheet: str, cell: str) -> Any:
        return writer.read_cells(sheet, [cell])[0]

    for sheet, items in by_sheet.items():
        if sheet not in sheets:
            continue
        values = writer.read_cells(sheet, [cell for _, cell in items])
        for (name, cell), value in zip(items, values, strict=True):
            if isinstance(value, str) and value.startswith("="):
                value = evaluate(value, sheet=sheet, cell=cell, name=name, read=read,
                                 today=today or dt.date.today())  # fmt: skip
            out[name] = value
    return out


def _date(name: str, value: Any) -> dt.date | dt.datetime | str | None:
    if is_empty(value):
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time(0):
            return value.date()
        return value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        from ecore_xl.data.filters import excel_serial_to_datetime

        moment = excel_serial_to_datetime(float(value), name=name)
        return moment.date() if moment.time() == dt.time(0) else moment
    return str(value).strip()


def _choice(setting: Setting, value: Any, default: str | None) -> str | None:
    if is_empty(value):
        return default
    text = str(value).strip().lower()
    for choice in setting.choices:
        if text == choice.lower():
            return choice
    raise UsageError(
        f"{setting.name} (sheet {SETTINGS_SHEET}) must be one of {', '.join(setting.choices)} "
        f"(got {value!r})."
    )


def read_settings(writer: SheetWriter, *, today: dt.date | None = None) -> WorkbookSettings:
    """The workbook's settings from its named cells (missing names: defaults); ``today`` is
    what ``TODAY()`` in a settings formula means (default: the machine's date)."""
    raw = _read_named(writer, [s.name for s in SETTINGS], today)
    by_key = {s.key: s for s in SETTINGS}

    def get(key: str) -> Any:
        return raw.get(by_key[key].name)

    datasets = tuple(parse_ids(get("datasets"))) or DEFAULT_DATASETS
    return WorkbookSettings(
        from_=_date("ecore.from", get("from_")),
        to=_date("ecore.to", get("to")),
        meters=tuple(parse_ids(get("meters"))),
        contracts=tuple(parse_ids(get("contracts"))),
        portfolio=tuple(parse_ids(get("portfolio"))),
        legal_entity=tuple(parse_ids(get("legal_entity"))),
        granularity=_choice(by_key["granularity"], get("granularity"), None),
        layout=_choice(by_key["layout"], get("layout"), "long") or "long",
        datasets=tuple(d.strip().lower() for d in datasets),
        offline=parse_bool("ecore.offline", get("offline"), False),
    )


def set_offline(writer: SheetWriter, offline: bool) -> None:
    """Switch the workbook's offline setting (the ribbon's toggle)."""
    ensure_settings_sheet(writer)
    target = name_target(writer.defined_names().get("ecore.offline", ""))
    if target is None:
        raise UsageError("The eCore sheet has no cell named ecore.offline.")
    writer.write_cells(target[0], {target[1]: bool(offline)})


# ---- the last-refresh block and the lists -----------------------------------------------------


def _block_anchor(writer: SheetWriter) -> tuple[str, int, int]:
    """Sheet, row and column (1-based) of the last-refresh block's header."""
    from openpyxl.utils.cell import column_index_from_string

    names = {n.casefold(): v for n, v in writer.defined_names().items()}
    target = name_target(names.get(LAST_REFRESH_NAME.casefold(), ""))
    if target is None:
        raise UsageError(
            f"The workbook has no name {LAST_REFRESH_NAME}: delete the {SETTINGS_SHEET} sheet "
            "and refresh to get a new one."
        )
    sheet, cell = target
    m = re.match(r"([A-Z]+)(\d+)", cell)
    assert m is not None  # name_target only returns A1 cells
    return sheet, int(m[2]), column_index_from_string(m[1])


def read_last_refresh(writer: SheetWriter) -> list[LastRefresh]:
    """The rows of the last-refresh block (empty when the workbook was never refreshed)."""
    from openpyxl.utils import get_column_letter

    sheet, row, col = _block_anchor(writer)
    out: list[LastRefresh] = []
    width = len(LAST_REFRESH_COLUMNS)
    r = row + 1
    while True:
        refs = [f"{get_column_letter(col + j)}{r}" for j in range(width)]
        values = writer.read_cells(sheet, refs)
        if is_empty(values[0]):
            return out
        rows = values[3]
        out.append(
            LastRefresh(
                dataset=str(values[0]),
                sheet=str(values[1] or ""),
                table=str(values[2] or ""),
                rows=int(rows) if isinstance(rows, int | float) else 0,
                fetched_utc=values[4] if isinstance(values[4], dt.datetime) else None,
                fetched_local=values[5] if isinstance(values[5], dt.datetime) else None,
                filters=str(values[6] or ""),
                source=str(values[7] or ""),
            )
        )
        r += 1


def write_last_refresh(writer: SheetWriter, entries: Sequence[LastRefresh]) -> None:
    """Merge ``entries`` into the block (one row per dataset, newest refresh wins)."""
    from openpyxl.utils import get_column_letter

    merged = {e.dataset: e for e in read_last_refresh(writer)}
    old_count = len(merged)
    merged.update({e.dataset: e for e in entries})
    sheet, row, col = _block_anchor(writer)
    cells: dict[str, Any] = {}
    fmt: dict[str, str] = {}
    for i, entry in enumerate(merged.values()):
        for j, value in enumerate(entry.values()):
            ref = f"{get_column_letter(col + j)}{row + 1 + i}"
            cells[ref] = value
            if j in (4, 5):
                fmt[ref] = "yyyy-mm-dd hh:mm:ss"
    for i in range(len(merged), old_count):
        for j in range(len(LAST_REFRESH_COLUMNS)):
            cells[f"{get_column_letter(col + j)}{row + 1 + i}"] = None
    writer.write_cells(sheet, cells, fmt=fmt)


def write_lists(writer: SheetWriter, lists: Mapping[str, Sequence[str]]) -> None:
    """Put the id lists on the hidden lists sheet and point the drop-downs at them."""
    from openpyxl.utils import get_column_letter

    writer.ensure_sheet(LISTS_SHEET, hidden=True)
    names = {n.casefold(): v for n, v in writer.defined_names().items()}
    old_lengths: dict[str, int] = {}
    for list_name in LISTS:
        ref = names.get(list_name.casefold(), "")
        m = re.search(r"\$(\d+):\$[A-Z]+\$(\d+)$", ref)
        old_lengths[list_name] = int(m[2]) - int(m[1]) + 1 if m else 0
    for j, (list_name, (header, *_)) in enumerate(LISTS.items()):
        if list_name not in lists:
            continue
        letter = get_column_letter(j + 1)
        items = list(lists[list_name]) or [""]
        writer.write_cells(LISTS_SHEET, {f"{letter}1": header})
        ref = writer.write_column(
            LISTS_SHEET,
            f"{letter}2",
            items,
            clear=max(old_lengths[list_name] - len(items), 0),
        )
        writer.define_name(list_name, f"{LISTS_SHEET}!{ref}")
    settings_names = {s.list_name: s for s in SETTINGS if s.list_name}
    for list_name, setting in settings_names.items():
        if list_name not in lists:
            continue
        target = name_target(names.get(setting.name.casefold(), ""))
        if target is not None:
            writer.set_list_validation(target[0], target[1], f"={list_name}", prompt=setting.help)
