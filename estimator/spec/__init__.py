"""The spec: the only reader of a lab's files, turning them into a validated ``LabSpec``.

``files`` (reading a lab folder from disk), ``parse`` (the pure parser: bytes to
``LabSpec``), ``lab`` (``LabSpec`` and scenarios applied), ``tomlread`` (TOML and typed
access collecting problems), ``units`` (pint: currencies, accelerators and people as
dimensions), ``structure`` (name, window, currency, types, runs), ``priors``, ``claims``,
``questions``, ``correlations``, ``scenarios`` (one reader per kind of table),
``claim_values`` (a claim's value, unit and period, in canonical units), ``ledger``
(adding claims to ``claims.toml``, validated in memory, written atomically).
"""
