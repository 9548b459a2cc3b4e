"""``ecore-xl catalogue probe``: the live API compared with the catalogue, a few requests each.

For each dataset, against the configured API: find a request that answers (:mod:`.locate`: the
declared path, or where the API keeps it; the parameters a 400 asks for), read the answer
against the declaration (envelope, fields present, missing and new, types, units, timestamp
forms, period ends, nested series: :mod:`ecore_xl.catalogue.learn`), check the paging with pages
of two records (:mod:`.paging`), check that each filter takes effect (:mod:`.filters`: a date
filter narrows the dates, an id filter returns only that id, an ignored one is named), where one
record is and what each meter is offered (:mod:`.shapes`). The result proposes the override that
fixes each mismatch (:func:`probe_catalogue`); ``--write`` merges it into the user's file.
Bounded: small pages, a request budget per dataset (:data:`~.wire.BUDGET`), never a download;
refused in offline mode. Nothing here imports pandas until the proposal is checked.
"""

from __future__ import annotations

from ecore_xl.data.probe.run import ORDER, ProbeResult, probe_catalogue, refuse_offline
from ecore_xl.data.probe.wire import BUDGET

__all__ = ["BUDGET", "ORDER", "ProbeResult", "probe_catalogue", "refuse_offline"]
