"""``ecore-xl serve``: the HTTP backend of the Office.js add-in (``officejs/``).

One job per module:

- :mod:`.options` — where it listens, who may call, the deadline;
- :mod:`.backend` — the one shared data service, the bounded pools, sharing and deadlines;
- :mod:`.app` — the Starlette routes, the token, CORS and host checks;
- :mod:`.errors` — error classes as HTTP status, code and Excel error;
- :mod:`.tables` — frames as JSON tables (Excel values) or records;
- :mod:`.functions` — one custom function's call (over :mod:`ecore_xl.formulas`);
- :mod:`.functions_json` — the custom functions' metadata, from the catalogue;
- :mod:`.catalogue_view` — the catalogue for the task pane, drop-down sources;
- :mod:`.workbook_plan` — the ribbon's refresh as operations for the task pane to write;
- :mod:`.jobs` — refresh and report jobs with progress;
- :mod:`.manifest`, :mod:`.certs`, :mod:`.sideload` — install: manifest, localhost
  certificate, per-user sideloading;
- :mod:`.server` — uvicorn, in the foreground or a thread.
"""

from __future__ import annotations

from ecore_xl.serve.backend import Backend
from ecore_xl.serve.options import ServeOptions

__all__ = ["Backend", "ServeOptions"]
