"""Alembic migrations of the hub schema, applied by `epicommons hub init`."""
