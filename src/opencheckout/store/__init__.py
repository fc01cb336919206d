"""Persistence: SQLAlchemy models, queries and migrations."""
