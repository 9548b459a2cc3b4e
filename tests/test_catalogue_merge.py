"""merge_overrides(old, new) overlays like old then new, and changes neither."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from ecore_xl.catalogue import Catalogue, Dataset, Paging, builtin_catalogue
from ecore_xl.catalogue.merge import merge_overrides
from tests.dialect_compare import hand_written

PAGED = hand_written("paged")
BARE = hand_written("bare")

PROBE_LIKE: dict[str, Any] = {
    "source": "probe of https://api.example/v1",
    "dialect": {"paging": {"style": "offset", "offset_param": "skip", "size_param": "top",
                           "max_size": 1000, "total_items": "@odata.count"},
                "fields": {"epoch": "ms"}},
    "datasets": {
        "volumes": {"filters": {"patch": [{"name": "type", "api_name": "kind"}],
                                "remove": ["granularity"]},
                    "dialect": {"granularities": {"gas": ["day"]}}},
        "clicks": {"fields": [{"name": "product", "api_name": "prod"}]},
        "meters": {"fields": {"replace": ["id:text", {"name": "name"}]}},
        "invoice-lines": None,
    },
}  # fmt: skip
REPLACED: dict[str, Any] = {
    "datasets": {"contracts": {"fields": {"replace": ["id", "name:text", {"name": "status"}]}}}
}
SNAKE_FIELD = {"datasets": {"contracts": {"fields": [{"name": "name", "api_name": "title"}],
                                          "filters": {"remove": ["status"]}}}}  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (PAGED, PROBE_LIKE),
        (BARE, PAGED),
        (PAGED, BARE),
        ({}, PAGED),
        (PAGED, {}),
        (REPLACED, SNAKE_FIELD),
        (SNAKE_FIELD, REPLACED),
    ],
    ids=["paged+probe", "bare+paged", "paged+bare", "empty+paged", "paged+empty",
         "replace+patch", "patch+replace"],
)  # fmt: skip
def test_merged_file_overlays_like_the_two_in_turn(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    before = (copy.deepcopy(old), copy.deepcopy(new))
    merged = merge_overrides(old, new)
    base = builtin_catalogue()
    assert _read(base.overlay(merged)) == _read(base.overlay(old).overlay(new))
    assert (old, new) == before


def _read(catalogue: Catalogue) -> list[Dataset]:
    """The datasets as the client reads them: paging by the keys of its style only (a new style
    in the merged file takes none of the old style's keys; in two files in turn, it keeps them,
    unread)."""
    out = []
    for ds in catalogue:
        paging = ds.dialect.paging
        spec = {k: tuple(v) if isinstance(v, list) else v for k, v in paging.spec().items()}
        out.append(replace(ds, dialect=replace(ds.dialect, paging=Paging(**spec))))
    return out


def test_a_paging_style_replaces_the_old_section_and_sources_add_up() -> None:
    merged = merge_overrides(PAGED, PROBE_LIKE)
    assert merged["dialect"]["paging"] == PROBE_LIKE["dialect"]["paging"]  # no page_param left
    assert merged["dialect"]["envelope"] == PAGED["dialect"]["envelope"]
    assert merged["dialect"]["fields"] == {"period_ends": "inclusive", "epoch": "ms"}
    assert merged["comment"] == PAGED["comment"]
    assert merged["source"] == PROBE_LIKE["source"]
    again = merge_overrides(merged, {"source": "probe of another"})
    assert again["source"] == "probe of https://api.example/v1; probe of another"


def test_a_patch_of_a_removed_name_brings_it_back_patched() -> None:
    """The one place where the merge differs from two files in turn (which would append a new,
    bare filter): the built-in filter comes back with the new keys. The probe never patches a
    filter the catalogue in effect does not have, so it never writes this."""
    new = {"datasets": {"contracts": {"filters": [{"name": "status", "doc": "x"}]}}}
    merged = merge_overrides(SNAKE_FIELD, new)
    assert merged["datasets"]["contracts"]["filters"] == [{"name": "status", "doc": "x"}]
    status = builtin_catalogue().overlay(merged).get("contracts").filter("status")
    assert (status.type, status.doc) == ("enum", "x")
