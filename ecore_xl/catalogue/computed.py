"""The datasets the product's own computations read: named once here, checked against the catalogue.

The scalar worksheet functions (``ECORE_VOLUME_TOTAL``, ``ECORE_HEDGE_RATIO``,
``ECORE_OPEN_POSITION``) and the monthly report compute from particular datasets and their
canonical fields (a volume's ``value`` in MWh, a position's ``hedgedVolumeMWh``, an invoice's
``periodEnd``). They name them through these constants, not through a role a catalogue could
point elsewhere: what they rely on is the dataset's meaning (its filters, its fields, their
units), which is that dataset's identity. How the API serves it — path, parameter and field
names, units, envelope — is already a declaration on that very dataset, so a role would only be
a second name for the same thing. :func:`require` says which declaration to fix when a user's
catalogue file removed a dataset or a field a computation needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ecore_xl.errors import CatalogueError

if TYPE_CHECKING:
    from ecore_xl.catalogue.model import Catalogue, Dataset

__all__ = [
    "BUSINESS_UNITS",
    "CLICKS",
    "CONTRACTS",
    "INVOICES",
    "INVOICE_LINES",
    "LEGAL_ENTITIES",
    "METERS",
    "PORTFOLIOS",
    "POSITIONS",
    "VOLUMES",
    "require",
]

LEGAL_ENTITIES = "legal-entities"
BUSINESS_UNITS = "business-units"
METERS = "meters"
CONTRACTS = "contracts"
CLICKS = "clicks"
VOLUMES = "volumes"
PORTFOLIOS = "portfolios"
POSITIONS = "positions"
INVOICES = "invoices"
INVOICE_LINES = "invoice-lines"


def require(
    catalogue: Catalogue,
    dataset: str,
    *,
    fields: Iterable[str] = (),
    filters: Iterable[str] = (),
    by: str,
) -> Dataset:
    """``dataset`` of ``catalogue``, with the ``fields`` and ``filters`` that ``by`` (the
    function or the report) computes from; else a CatalogueError naming the declaration."""
    if dataset not in catalogue or catalogue.get(dataset).name != dataset:
        raise CatalogueError(
            f"{by} computes from the dataset {dataset!r}, which the catalogue does not have: "
            f"remove the line that drops datasets.{dataset} from your catalogue file."
        )
    ds = catalogue.get(dataset)
    names = set(ds.field_names())
    for name in fields:
        if name not in names:
            raise CatalogueError(
                f"{by} reads {dataset}.{name}, which the catalogue's datasets.{dataset}.fields "
                f'lacks: declare it (with "api_name" if the API calls it otherwise).'
            )
    known = {f.name for f in ds.filters}
    for name in filters:
        if name not in known:
            raise CatalogueError(
                f"{by} filters {dataset} by {name}, which datasets.{dataset}.filters lacks: "
                f'declare it (with "api_name" if the API calls it otherwise).'
            )
    return ds
