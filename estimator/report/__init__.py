"""Report: what people see.

``display`` (numbers for people), ``terminal`` (rich tables), ``figures`` and
``driver_figures`` (matplotlib), ``document`` (``report.md`` and ``report.html`` through
Jinja2 ``templates``), ``summary_json`` (``summary.json``), ``storage`` (``posterior.nc``).
"""
