"""Granularity per meter (pure): the finest granularity each meter is offered, and the note.

The catalogue declares which granularities the API offers per commodity
(``dialect.granularities``: gas often daily only) and, per dataset, the rule (the granularity
filter, the per-meter filter, where the commodity comes from). A meter is asked for the
granularity asked if it is offered, else for the next coarser one offered (the finest it
supports); a refusal (a 400 naming the granularity parameter) rules that one out for the meter
and the next is tried. The frame says what each meter got (:func:`note`) and, when some meter
fell back, each row says its granularity (:func:`labelled`): the long layout of a formula or of
``ecore-xl fetch`` never mixes days with hours unsaid.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.catalogue import Dataset, GranularityRule
    from ecore_xl.errors import BadRequestError

__all__ = ["check_one_granularity", "choose", "is_refusal", "labelled", "note", "order"]


def order(ds: Dataset, rule: GranularityRule, asked: str) -> tuple[str, ...]:
    """The granularities of ``rule.filter`` from finest to coarsest (its ``allowed`` order)."""
    allowed = ds.filter(rule.filter).allowed
    return tuple(allowed) if allowed else (asked,)


def choose(
    asked: str,
    finest_first: Sequence[str],
    offered: Collection[str] | None,
    refused: Collection[str] = (),
) -> str | None:
    """``asked`` if offered and not refused, else the next coarser such one, else the coarsest
    finer one; None when no granularity is left."""
    ok = [g for g in finest_first if (offered is None or g in offered) and g not in refused]
    if asked in ok:
        return asked
    at = finest_first.index(asked) if asked in finest_first else -1
    coarser = [g for g in ok if finest_first.index(g) > at]
    if coarser:
        return coarser[0]
    finer = [g for g in ok if finest_first.index(g) < at]
    return finer[-1] if finer else None


def is_refusal(exc: BadRequestError, ds: Dataset, rule: GranularityRule) -> bool:
    """Whether a 400 refuses the granularity: it names the parameter (or, without a target,
    its message does)."""
    param = ds.filter(rule.filter).param
    if exc.target:
        return exc.target.lower() in (param.lower(), rule.filter.lower())
    return param.lower() in exc.message.lower()


def note(asked: str, used: Mapping[str, str], per: str) -> str:
    """``granularity hour; day for MTR-0003, MTR-0007 (not offered finer)`` — one line."""
    by_choice: dict[str, list[str]] = {}
    for ident, granularity in used.items():
        by_choice.setdefault(granularity, []).append(ident)
    parts = []
    for granularity, idents in by_choice.items():
        shown = ", ".join(idents[:8]) + (f" and {len(idents) - 8} more" if len(idents) > 8 else "")
        parts.append(f"{granularity} for {per} {shown}")
    return f"granularity {asked}; " + "; ".join(parts) + f" (the API offers them no {asked})"


def labelled(
    ds: Dataset, granularity: Mapping[str, object] | None, long: pd.DataFrame
) -> pd.DataFrame:
    """``long`` with a column named after the granularity filter (``granularity``) saying each
    row's granularity, when some meters got another than asked; else ``long`` itself (the
    frame of the normal case is unchanged). A column of that name the API sent is kept."""
    import pandas as pd

    rule = ds.granularity
    if not granularity or rule is None or rule.filter in long.columns:
        return long
    per = ds.filter(rule.per).narrows or rule.per
    if per not in long.columns:
        return long
    asked = str(granularity.get("asked"))
    used = granularity.get("used")
    by_meter = {str(k): str(v) for k, v in used.items()} if isinstance(used, Mapping) else {}
    ids = long[per].astype("string")
    said = ids.map(lambda ident: by_meter.get(ident, asked), na_action="ignore").fillna(asked)
    out = long.copy(deep=False)
    out[rule.filter] = pd.Series(said.to_numpy(dtype=object), index=long.index, dtype="str")
    return out


def check_one_granularity(
    ds: Dataset, granularity: Mapping[str, object] | None, long: pd.DataFrame
) -> None:
    """The wide layout needs every column in one granularity: a fallback for some meters (gas
    days among hours) is an InvalidFilterError naming them and what to ask instead, never a
    grid whose gas day sits in the midnight hour's row."""
    import pandas as pd

    from ecore_xl.errors import InvalidFilterError

    if not granularity or ds.wide is None or ds.wide.columns not in long.columns:
        return
    asked = str(granularity.get("asked"))
    used = granularity.get("used")
    used = used if isinstance(used, Mapping) else {}
    present = [str(k) for k in pd.unique(long[ds.wide.columns].astype("string").dropna())]
    got = {ident: str(used.get(ident, asked)) for ident in present}
    if len(set(got.values())) <= 1:
        return
    fell_back: dict[str, list[str]] = {}
    for ident, g in got.items():
        if g != asked:
            fell_back.setdefault(g, []).append(ident)
    per = ds.granularity.per if ds.granularity else ds.wide.columns
    finest_first = order(ds, ds.granularity, asked) if ds.granularity else ()
    coarsest = max(fell_back, key=lambda g: finest_first.index(g) if g in finest_first else -1)
    said = "; ".join(
        f"{', '.join(ids[:8])}{' …' if len(ids) > 8 else ''} come as {g}"
        for g, ids in fell_back.items()
    )
    raise InvalidFilterError(
        f"layout wide needs one granularity for every {per}, but {said} (the API offers them "
        f"no {asked}): ask for granularity {coarsest}, use layout long, or leave those out.",
        parameter="layout",
    )
