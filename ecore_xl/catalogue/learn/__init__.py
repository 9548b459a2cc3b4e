"""Learning an API's dialect from samples: what names, bodies and values mean.

Shared by ``ecore-xl catalogue import`` (a Postman collection's saved examples and documented
parameters) and ``ecore-xl catalogue probe`` (live answers). Pure: no I/O here.

* :mod:`.vocabulary` — the words APIs use for our parameters, paging, granularities, paths;
* :mod:`.names` — names compared by meaning (spelling rules, ``<entity>Id``, unit suffixes);
* :mod:`.values` — instants and their forms, period ends, granularity words and spacing;
* :mod:`.records` — where records are in a body, single records, nested series, paging signals;
* :mod:`.fields` — sample records read against a dataset's fields;
* :mod:`.energy` — the unit of energy figures no name states, from facts inside the record;
* :mod:`.sample` — one sample answer written into a :class:`~.proposal.Learning`;
* :mod:`.proposal` — what was learned, with how sure, and the override file that declares it.
"""

from __future__ import annotations

from ecore_xl.catalogue.learn.proposal import Finding, Learning

__all__ = ["Finding", "Learning"]
