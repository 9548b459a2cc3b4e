"""The ``eCore`` settings sheet: what a workbook refreshes, declared in the workbook itself.

A visible sheet ``eCore`` holds one named cell per setting, so a refresh is reproducible and the
workbook documents itself. The cells are made from the catalogue
(:func:`~ecore_xl.catalogue.workbook.setting_cells`): one per filter ``setting`` it declares
(built in: ``ecore.from``, ``ecore.to``, ``ecore.meters``, ``ecore.contracts``,
``ecore.portfolio``, ``ecore.legalEntity``, ``ecore.granularity``), whose value a refresh gives
to the filter of that name in every dataset; then the sheet's own: ``ecore.layout`` (when a
dataset has a wide layout), ``ecore.datasets`` (default: the catalogue's ``default_refresh``
datasets) and ``ecore.offline``. A setting a user's catalogue adds gets its row in a new sheet,
and in an existing one the row below the others (the last-refresh block moves down for it).

Below them, the *last refresh* block (found by the name ``ecore.lastRefresh``) lists per dataset
its table, rows, fetch time, filters and source; the snapshot's Provenance sheet is built from
it. A setting whose filter names the records that list its values (``choices``: meters,
contracts, …) gets a drop-down fed from the hidden sheet ``eCoreLists`` (``lstMeters``, …),
refreshed from the API.

Everything goes through :class:`~ecore_xl.excel.sheets.SheetWriter`, so the live add-in and the
headless ``ecore-xl refresh`` read and write the sheet the same way. Names are found wherever the
user moved the cells; a missing sheet is created with defaults.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecore_xl.catalogue.workbook import SettingCell, default_refresh, setting_cells, wide_datasets
from ecore_xl.errors import UsageError
from ecore_xl.excel.sheets import SheetWriter
from ecore_xl.formulas.args import is_empty, parse_bool, parse_ids

if TYPE_CHECKING:
    from ecore_xl.catalogue import Catalogue

__all__ = [
    "LISTS_SHEET",
    "SETTINGS_SHEET",
    "LastRefresh",
    "Setting",
    "WorkbookSettings",
    "ensure_settings_sheet",
    "read_last_refresh",
    "read_settings",
    "set_offline",
    "sheet_settings",
    "write_last_refresh",
    "write_lists",
]

SETTINGS_SHEET = "eCore"
LISTS_SHEET = "eCoreLists"
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
#: rows of an existing sheet searched for a setting's label (its name was deleted)
_SEARCH_ROWS = 60


@dataclass(frozen=True)
class Setting:
    """One named cell of the settings sheet: a filter's (``cell``) or the sheet's own."""

    key: str  # the setting's name: ``meters``, or ``layout``, ``datasets``, ``offline``
    name: str  # defined name
    label: str
    help: str
    choices: tuple[str, ...] = ()
    list_name: str | None = None  # drop-down fed from the lists sheet
    cell: SettingCell | None = None


def sheet_settings(catalogue: Catalogue) -> tuple[Setting, ...]:
    """The sheet's rows for ``catalogue``, in order: its settings cells, then the sheet's own."""
    rows = [
        Setting(c.name, c.defined_name, c.label, c.help, c.allowed, c.list_name, c)
        for c in setting_cells(catalogue)
    ]
    wide = wide_datasets(catalogue)
    if wide:
        layouts = tuple(dict.fromkeys(layout for ds in wide for layout in ds.layouts))
        row = next((ds.wide.setting for ds in wide if ds.wide and ds.wide.setting), None)
        label = row.label if row and row.label else "Layout"
        text = (
            row.help
            if row and row.help
            else "; ".join(f"{ds.name}: {ds.wide.help.rstrip('.')}" for ds in wide if ds.wide)
        )
        rows.append(Setting("layout", "ecore.layout", label, text, layouts))
    rows.append(
        Setting(
            "datasets",
            "ecore.datasets",
            "Datasets",
            "what 'Refresh all' refreshes, comma-separated",
        )
    )
    rows.append(
        Setting(
            "offline",
            "ecore.offline",
            "Offline",
            "TRUE: refresh from saved snapshots only, never call the API",
            choices=("TRUE", "FALSE"),
        )
    )
    return tuple(rows)


@dataclass(frozen=True)
class WorkbookSettings:
    """The settings a workbook declares (already parsed): ``filters`` by filter name (ids as a
    tuple of text, dates as dates), and the sheet's own."""

    filters: Mapping[str, Any] = field(default_factory=dict)
    layout: str = "long"
    datasets: tuple[str, ...] = ()
    offline: bool = False

    def get(self, filter_name: str) -> Any:
        """The value the workbook gives the filter ``filter_name`` (None: not set)."""
        return self.filters.get(filter_name)


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


def _catalogue(catalogue: Catalogue | None) -> Catalogue:
    if catalogue is not None:
        return catalogue
    from ecore_xl.data import get_service

    return get_service().catalogue


# ---- defaults and layout ----------------------------------------------------------------------


def _month_start(today: dt.date, months_back: int) -> dt.date:
    first = today.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1) if months_back else first


def _default(setting: Setting, catalogue: Catalogue, today: dt.date) -> Any:
    if setting.cell is not None:
        value = setting.cell.default
        if value is None or setting.cell.type != "date":
            return value
        if value in ("this_month", "last_month"):
            return _month_start(today, 1 if value == "last_month" else 0)
        return _date(setting.name, value)
    return {
        "layout": "long",
        "datasets": ", ".join(default_refresh(catalogue)),
        "offline": False,
    }.get(setting.key)


def default_values(catalogue: Catalogue, today: dt.date | None = None) -> dict[str, Any]:
    """A new sheet's values, by setting: the declared defaults (built in: last full month,
    hourly), long layout, the catalogue's default refresh set, online."""
    today = today or dt.date.today()
    return {s.key: _default(s, catalogue, today) for s in sheet_settings(catalogue)}


def _value_cell(row: int) -> str:
    return f"B{row}"


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'" if re.search(r"[^A-Za-z0-9_.]", sheet) else sheet


def _absolute(sheet: str, cell: str) -> str:
    m = re.match(r"^\$?([A-Z]+)\$?(\d+)$", cell)
    if not m:
        raise ValueError(cell)
    return f"{_quoted(sheet)}!${m[1]}${m[2]}"


def _lay_out(writer: SheetWriter, settings: int, block: int) -> None:
    """A new settings sheet's look: title, header rows, labels, the help texts as notes."""
    last = _FIRST_ROW + settings - 1
    writer.style_cells(SETTINGS_SHEET, ["A1"], "title")
    writer.style_cells(SETTINGS_SHEET, ["A2"], "note")
    writer.style_cells(SETTINGS_SHEET, ["A4", "B4", "C4"], "header")
    writer.style_cells(SETTINGS_SHEET, [f"A{r}" for r in range(_FIRST_ROW, last + 1)], "label")
    writer.style_cells(SETTINGS_SHEET, [f"C{r}" for r in range(_FIRST_ROW, last + 1)], "note")
    writer.style_cells(SETTINGS_SHEET, [f"A{block - 1}"], "label")
    heads = [f"{chr(ord('A') + j)}{block}" for j in range(len(LAST_REFRESH_COLUMNS))]
    writer.style_cells(SETTINGS_SHEET, heads, "header")


def _validate(writer: SheetWriter, sheet: str, cell: str, s: Setting) -> None:
    """A drop-down of the setting's choices (its list's drop-down comes with the list)."""
    if s.choices and s.list_name is None:
        source = '"' + ",".join(s.choices) + '"'
        writer.set_list_validation(sheet, cell, source, prompt=s.help)


def ensure_settings_sheet(
    writer: SheetWriter, catalogue: Catalogue | None = None, *, today: dt.date | None = None
) -> bool:
    """Create the ``eCore`` sheet with defaults when missing, and any missing name; True if new.

    ``catalogue`` (default: the process-wide service's) says which settings there are. An
    existing sheet keeps every value the user typed; a missing name is given to the row whose
    label is still there, else to a new row below the settings, with its default.
    """
    cat = _catalogue(catalogue)
    settings = sheet_settings(cat)
    names = {n.casefold(): v for n, v in writer.defined_names().items()}
    wanted = [s.name.casefold() for s in settings] + [LAST_REFRESH_NAME.casefold()]
    sheets = set(writer.sheet_names())
    targets = [name_target(names.get(n, "")) for n in wanted]
    if all(t is not None and t[0] in sheets for t in targets):
        return False  # every name resolves (the user may have renamed or moved the sheet)
    created = writer.ensure_sheet(SETTINGS_SHEET, first=False)
    defaults = default_values(cat, today)
    if created:
        cells: dict[str, Any] = {
            "A1": "eCore settings",
            "A2": "Refresh with the eCore ribbon tab, or headless: ecore-xl refresh <this file>",
            "A4": "Setting",
            "B4": "Value",
            "C4": "What it means",
        }
        fmt: dict[str, str] = {}
        for i, s in enumerate(settings):
            row = _FIRST_ROW + i
            cells[f"A{row}"] = s.label
            cells[f"B{row}"] = defaults.get(s.key)
            cells[f"C{row}"] = s.help
            if s.cell is not None and s.cell.type == "date":
                fmt[f"B{row}"] = "yyyy-mm-dd"
        block = _FIRST_ROW + len(settings) + 2
        cells[f"A{block - 1}"] = "Last refresh"
        for j, label in enumerate(LAST_REFRESH_COLUMNS):
            cells[f"{chr(ord('A') + j)}{block}"] = label
        writer.write_cells(SETTINGS_SHEET, cells, fmt=fmt)
        _lay_out(writer, len(settings), block)
        writer.define_name(LAST_REFRESH_NAME, _absolute(SETTINGS_SHEET, f"A{block}"))
        names[LAST_REFRESH_NAME.casefold()] = "new"
        for i, s in enumerate(settings):
            if s.name.casefold() not in names:
                row = _FIRST_ROW + i
                writer.define_name(s.name, _absolute(SETTINGS_SHEET, _value_cell(row)))
                _validate(writer, SETTINGS_SHEET, _value_cell(row), s)
        return True
    if LAST_REFRESH_NAME.casefold() not in names:
        _restore_block_name(writer, len(settings))
    for s in settings:
        if s.name.casefold() not in names:
            row = _label_row(writer, s) or _new_row(writer, s, defaults.get(s.key))
            writer.define_name(s.name, _absolute(SETTINGS_SHEET, _value_cell(row)))
            _validate(writer, SETTINGS_SHEET, _value_cell(row), s)
    return False


def _column_a(writer: SheetWriter, first: int, count: int) -> list[tuple[Any, Any]]:
    """(A, B) of ``count`` rows of the settings sheet from row ``first``."""
    refs = [ref for r in range(first, first + count) for ref in (f"A{r}", f"B{r}")]
    values = writer.read_cells(SETTINGS_SHEET, refs)
    return list(zip(values[0::2], values[1::2], strict=True))


def _label_row(writer: SheetWriter, s: Setting) -> int | None:
    """The row of the settings sheet whose label is ``s``'s (above the last-refresh block)."""
    for i, (label, _value) in enumerate(_column_a(writer, _FIRST_ROW, _SEARCH_ROWS)):
        text = str(label or "").strip().casefold()
        if text == "last refresh":
            return None
        if text == s.label.casefold():
            return _FIRST_ROW + i
    return None


def _block_row(writer: SheetWriter) -> int | None:
    """The last-refresh block's header row, when the block is on the settings sheet."""
    names = {n.casefold(): v for n, v in writer.defined_names().items()}
    target = name_target(names.get(LAST_REFRESH_NAME.casefold(), ""))
    if target is None or target[0] != SETTINGS_SHEET:
        return None
    return int(re.sub(r"[A-Z]+", "", target[1]))


def _new_row(writer: SheetWriter, s: Setting, default: Any) -> int:
    """A row for a setting an existing sheet lacks: the first free one below the settings (the
    last-refresh block moves down a row when it is in the way)."""
    block = _block_row(writer)
    rows = _column_a(writer, _FIRST_ROW, (block - _FIRST_ROW) if block else _SEARCH_ROWS)
    last = block - 3 if block else _FIRST_ROW + _SEARCH_ROWS - 1  # keep a blank row above it
    row = next(
        (_FIRST_ROW + i for i, (a, b) in enumerate(rows) if is_empty(a) and is_empty(b)), None
    )
    if row is None or row > last:
        if block is None:
            raise UsageError(
                f"The {SETTINGS_SHEET} sheet has no free row for the setting {s.name}: name a "
                f"cell {s.name} (Formulas > Define Name), or delete the sheet to get a new one."
            )
        _move_block(writer, block, 1)
        row = block - 2
    fmt = {f"B{row}": "yyyy-mm-dd"} if s.cell is not None and s.cell.type == "date" else {}
    writer.write_cells(
        SETTINGS_SHEET, {f"A{row}": s.label, f"B{row}": default, f"C{row}": s.help}, fmt=fmt
    )
    writer.style_cells(SETTINGS_SHEET, [f"A{row}"], "label")
    writer.style_cells(SETTINGS_SHEET, [f"C{row}"], "note")
    return row


def _move_block(writer: SheetWriter, header: int, by: int) -> None:
    """Move the last-refresh block (its label row, header and entries) ``by`` rows down."""
    from openpyxl.utils import get_column_letter

    width = len(LAST_REFRESH_COLUMNS)
    entries = len(read_last_refresh(writer))
    first = header - 1  # the "Last refresh" label
    rows = list(range(first, header + entries + 1))
    refs = [f"{get_column_letter(c)}{r}" for r in rows for c in range(1, width + 1)]
    values = writer.read_cells(SETTINGS_SHEET, refs)
    cells: dict[str, Any] = {}
    fmt: dict[str, str] = {}
    for i, r in enumerate(rows):
        for c in range(1, width + 1):
            value = values[i * width + c - 1]
            ref = f"{get_column_letter(c)}{r + by}"
            cells[ref] = value
            if r > header and c in (5, 6):
                fmt[ref] = "yyyy-mm-dd hh:mm:ss"
    for r in rows[:by]:
        for c in range(1, width + 1):
            cells[f"{get_column_letter(c)}{r}"] = None
    writer.write_cells(SETTINGS_SHEET, cells, fmt=fmt)
    writer.define_name(LAST_REFRESH_NAME, _absolute(SETTINGS_SHEET, f"A{header + by}"))


def _restore_block_name(writer: SheetWriter, settings: int) -> None:
    """Name the last-refresh block again (its label still there), else start a new one."""
    rows = _column_a(writer, _FIRST_ROW, _SEARCH_ROWS)
    label = next(
        (i for i, (a, _) in enumerate(rows) if str(a or "").strip().casefold() == "last refresh"),
        None,
    )
    if label is not None:
        header = _FIRST_ROW + label + 1
    else:
        used = [i for i, (a, b) in enumerate(rows) if not (is_empty(a) and is_empty(b))]
        header = _FIRST_ROW + max([*used, settings - 1]) + 3
        writer.write_cells(SETTINGS_SHEET, {f"A{header - 1}": "Last refresh"})
    (head,) = writer.read_cells(SETTINGS_SHEET, [f"A{header}"])
    if head != LAST_REFRESH_COLUMNS[0]:
        writer.write_cells(
            SETTINGS_SHEET,
            {f"{chr(ord('A') + j)}{header}": c for j, c in enumerate(LAST_REFRESH_COLUMNS)},
        )
    writer.define_name(LAST_REFRESH_NAME, _absolute(SETTINGS_SHEET, f"A{header}"))


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


def _filter_value(s: Setting, cell: SettingCell, value: Any) -> Any:
    """A settings cell's value as the filter takes it (ids as a tuple, dates as dates)."""
    if cell.type == "date":
        return _date(s.name, value)
    if is_empty(value):
        return None
    if cell.type in ("id", "list"):
        return tuple(parse_ids(value)) or None
    if cell.allowed:
        return _choice(s, value, None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return str(value).strip()


def read_settings(
    writer: SheetWriter, catalogue: Catalogue | None = None, *, today: dt.date | None = None
) -> WorkbookSettings:
    """The workbook's settings from its named cells (missing names: defaults); ``today`` is
    what ``TODAY()`` in a settings formula means (default: the machine's date)."""
    cat = _catalogue(catalogue)
    settings = sheet_settings(cat)
    raw = _read_named(writer, [s.name for s in settings], today)
    by_key = {s.key: s for s in settings}
    filters: dict[str, Any] = {}
    for s in settings:
        if s.cell is not None:
            value = _filter_value(s, s.cell, raw.get(s.name))
            if value is not None:
                filters[s.cell.filter] = value
    datasets = tuple(parse_ids(raw.get("ecore.datasets"))) or default_refresh(cat)
    layout = "long"
    if "layout" in by_key:
        layout = _choice(by_key["layout"], raw.get("ecore.layout"), "long") or "long"
    return WorkbookSettings(
        filters=filters,
        layout=layout,
        datasets=tuple(d.strip().lower() for d in datasets),
        offline=parse_bool("ecore.offline", raw.get("ecore.offline"), False),
    )


def set_offline(writer: SheetWriter, offline: bool, catalogue: Catalogue | None = None) -> None:
    """Switch the workbook's offline setting (the ribbon's toggle)."""
    ensure_settings_sheet(writer, catalogue)
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
    _fit_settings_columns(writer, sheet, row, col, len(merged))


def _fit_settings_columns(
    writer: SheetWriter, sheet: str, row: int, col: int, entries: int
) -> None:
    """Columns as wide as what the settings sheet shows: the labels and values of the settings
    (their help texts run on into the empty cells to their right), and the last-refresh block."""
    from openpyxl.utils import get_column_letter

    last = get_column_letter(col + len(LAST_REFRESH_COLUMNS) - 1)
    writer.fit_columns(sheet, f"{get_column_letter(col)}{row}:{last}{row + max(entries, 1)}")
    if col == 1 and row > _FIRST_ROW:  # the block below the settings, as a new sheet has it
        writer.fit_columns(sheet, f"A{_FIRST_ROW - 1}:B{row - 1}")


def write_lists(
    writer: SheetWriter, lists: Mapping[str, Sequence[str]], catalogue: Catalogue | None = None
) -> None:
    """Put the id lists (by list name: ``lstMeters``) on the hidden lists sheet and point the
    settings' drop-downs at them. A list keeps the column it had; a new one takes a free one."""
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.cell import column_index_from_string

    settings = [s for s in sheet_settings(_catalogue(catalogue)) if s.list_name]
    writer.ensure_sheet(LISTS_SHEET, hidden=True)
    names = {n.casefold(): v for n, v in writer.defined_names().items()}
    old: dict[str, tuple[int, int]] = {}  # list name -> (column, length)
    for s in settings:
        assert s.list_name is not None
        m = re.search(r"\$([A-Z]+)\$(\d+):\$[A-Z]+\$(\d+)$", names.get(s.list_name.casefold(), ""))
        if m:
            old[s.list_name] = (column_index_from_string(m[1]), int(m[3]) - int(m[2]) + 1)
    taken = {column for column, _ in old.values()}
    free = (c for c in range(1, 10_000) if c not in taken)
    for s in settings:
        assert s.list_name is not None and s.cell is not None
        if s.list_name not in lists:
            continue
        column, length = old.get(s.list_name) or (next(free), 0)
        letter = get_column_letter(column)
        items = list(lists[s.list_name]) or [""]
        writer.write_cells(LISTS_SHEET, {f"{letter}1": s.cell.list_header})
        ref = writer.write_column(
            LISTS_SHEET, f"{letter}2", items, clear=max(length - len(items), 0)
        )
        writer.define_name(s.list_name, f"{LISTS_SHEET}!{ref}")
        target = name_target(names.get(s.name.casefold(), ""))
        if target is not None:
            writer.set_list_validation(target[0], target[1], f"={s.list_name}", prompt=s.help)
