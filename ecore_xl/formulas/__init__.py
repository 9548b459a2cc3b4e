"""The worksheet functions, independent of the spreadsheet that calls them.

``=ECORE_VOLUMES(...)`` in xlwings and ``=ECORE.VOLUMES(...)`` in Office.js take the same
arguments (:mod:`.signatures`, generated from the catalogue), tidy them the same way
(:mod:`.args`) and compute the same answer over the data layer (:mod:`.calls`,
:mod:`.status`). Each face only shapes the answer and its errors for its spreadsheet:
:mod:`ecore_xl.excel.udfs` and :mod:`ecore_xl.serve`.
"""
