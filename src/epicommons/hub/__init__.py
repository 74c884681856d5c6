"""The member hub: a reporting service in which each member writes only its own data.

Storage (`models`, `db`, `migrations`), administration (`admin`), the query layer that enforces
access (`access`), domain operations (`reports`, `events`, `sharing`, `ledger`) and the HTTP API
(`app`, `api/`). Dashboard pages will live in `hub/pages`.
"""
