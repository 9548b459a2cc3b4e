"""The contract's records in a dialect: field names, energy unit, instants, period ends, series,
envelope.

Records leave the portfolio as the contract serves them (``ecore`` is the identity here); each
rule below is the one place it is applied:

* names: an explicit rename (``Dialect.field_renames``) > ``<entity>Id`` for ``id`` > the energy
  unit in the name (``consumptionMWh`` -> ``consumptionKWh``, or ``consumption`` where the unit is
  said nowhere) > snake_case; nested objects and lists of objects change case only;
* energy (:data:`ENERGY_FIELDS`, and a volume's ``value``): kWh as the exact decimal shift of
  the MWh the contract serves (a volume's kWh come straight from its integer micro-MWh);
* instants (:data:`INSTANTS`): ``Z``, the local offset, or epoch milliseconds; period ends
  (:data:`PERIOD_ENDS`) exclusive in that same form, or inclusive as the last local day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .dialect import Dialect, snake
from .paging import PageInfo

Record = dict[str, Any]

#: the entity whose id each dataset's ``id`` is (for ``<entity>Id`` names)
ENTITIES = {
    "legal-entities": "legalEntity",
    "business-units": "businessUnit",
    "meters": "meter",
    "contracts": "contract",
    "clicks": "click",
    "portfolios": "portfolio",
    "invoices": "invoice",
}
#: energy quantities in MWh (prices per MWh and the MW of a click are not energy)
ENERGY_FIELDS = frozenset(
    {
        "annualConsumptionMWh",
        "contractedVolumeMWh",
        "volumeMWh",
        "consumptionMWh",
        "forecastVolumeMWh",
        "hedgedVolumeMWh",
        "openVolumeMWh",
    }
)
INSTANTS = frozenset({"deliveryStart", "executedAt", "start", "periodStart", "validFrom"})
PERIOD_ENDS = frozenset({"deliveryEnd", "periodEnd", "validTo"})
#: a volume record's fields that go to its series' parent (the rest go to each value)
SERIES_PARENT = ("meterId", "unit", "type")


def kwh(mwh: float | None) -> float | None:
    """Exact: the decimal the contract writes (``repr``), shifted three places."""
    return None if mwh is None else float(Decimal(repr(mwh)).scaleb(3))


class Outbound:
    """Translate records of one dialect; names and converters are worked out once per field."""

    def __init__(self, dialect: Dialect, tz: ZoneInfo) -> None:
        self.dialect = dialect
        self.tz = tz
        self._names: dict[tuple[str, str, bool], str] = {}
        d = dialect
        self.identity = (
            not d.field_renames
            and d.id_field == "id"
            and d.field_case == "camel"
            and d.energy_unit == "MWh"
            and d.unit_said == "body"
            and d.timestamps == "utc"
            and d.period_end == "exclusive"
        )

    # ------------------------------------------------------------------ names
    def name(self, dataset: str, key: str, nested: bool = False) -> str:
        cache_key = (dataset, key, nested)
        found = self._names.get(cache_key)
        if found is None:
            found = self._names[cache_key] = self._name(dataset, key, nested)
        return found

    def _name(self, dataset: str, key: str, nested: bool) -> str:
        d = self.dialect
        if not nested:
            for scope in (dataset, "*"):
                renamed = d.field_renames.get(scope, {}).get(key)
                if renamed is not None:
                    return renamed
        name = key
        if not nested and key == "id" and d.id_field == "entity" and dataset in ENTITIES:
            name = ENTITIES[dataset] + "Id"
        elif not nested and key in ENERGY_FIELDS:
            stem = key[: -len("MWh")]
            name = stem if d.unit_said == "nowhere" else stem + d.energy_unit[0].upper() + "Wh"
        return snake(name) if d.field_case == "snake" else name

    # ------------------------------------------------------------------ values
    def instant(self, iso: str | None) -> Any:
        if iso is None or self.dialect.timestamps == "utc":
            return iso
        moment = dt.datetime.fromisoformat(iso)
        if self.dialect.timestamps == "epoch_ms":
            return int(moment.timestamp()) * 1000
        return moment.astimezone(self.tz).isoformat()

    def period_end(self, iso: str | None) -> Any:
        if iso is None or self.dialect.period_end == "exclusive":
            return self.instant(iso)
        last = dt.datetime.fromisoformat(iso).timestamp() - 1  # the last second inside
        return dt.datetime.fromtimestamp(last, self.tz).date().isoformat()

    def _convert(self, key: str) -> Callable[[Any], Any] | None:
        if key in INSTANTS:
            return self.instant
        if key in PERIOD_ENDS:
            return self.period_end
        if key in ENERGY_FIELDS and self.dialect.energy_unit == "kWh":
            return kwh
        return None

    # ------------------------------------------------------------------ records
    def record(self, dataset: str, rec: Record) -> Record:
        """One record in the dialect (a volume's ``value`` is already in the dialect's unit)."""
        if self.identity:
            return rec
        out: Record = {}
        drop_unit = dataset == "volumes" and self.dialect.unit_said == "nowhere"
        for key, value in rec.items():
            if drop_unit and key == "unit":
                continue
            convert = self._convert(key)
            if convert is not None:
                value = convert(value)
            elif isinstance(value, dict):
                value = self._nested(dataset, value)
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                value = [self._nested(dataset, v) for v in value]
            out[self.name(dataset, key)] = value
        return out

    def _nested(self, dataset: str, obj: Record) -> Record:
        return {self.name(dataset, k, nested=True): v for k, v in obj.items()}

    def records(self, dataset: str, recs: Sequence[Record], resolution: str | None) -> list[Any]:
        """A page of records; volumes become series when the dialect nests them."""
        if dataset == "volumes" and self.dialect.volume_shape == "series":
            return self.series(recs, resolution)
        if self.identity:
            return list(recs)
        return [self.record(dataset, r) for r in recs]

    def series(self, recs: Sequence[Record], resolution: str | None) -> list[Record]:
        """Consecutive volume records of one meter as one series: parent fields and values."""
        out: list[Record] = []
        for rec in recs:
            parent_key = tuple(rec.get(k) for k in SERIES_PARENT)
            if not out or out[-1]["_key"] != parent_key:
                out.append({"_key": parent_key, "parent": rec, "values": []})
            out[-1]["values"].append({k: v for k, v in rec.items() if k not in SERIES_PARENT})
        return [self._series(g["parent"], g["values"], resolution) for g in out]

    def empty_series(self, meter_id: str, kind: str, unit: str, resolution: str | None) -> Record:
        """The series of a meter with no values on this page."""
        parent = {"meterId": meter_id, "unit": unit, "type": kind}
        return self._series(parent, [], resolution)

    def _series(self, parent: Record, values: list[Record], resolution: str | None) -> Record:
        head = self.record("volumes", {k: parent[k] for k in SERIES_PARENT if k in parent})
        head[self.name("volumes", "resolution")] = resolution
        head[self.name("volumes", "values")] = [self.record("volumes", v) for v in values]
        return head

    # ------------------------------------------------------------------ envelopes
    def collection(self, items: list[Any], info: PageInfo) -> Any:
        envelope = self.dialect.envelope
        if envelope == "bare":
            return items
        if envelope == "data.items":
            return {"data": {"items": items}, "meta": info.keys}
        return {"value": items, **info.keys}

    def single(self, rec: Record) -> Any:
        return {"data": rec} if self.dialect.single == "data" else rec
