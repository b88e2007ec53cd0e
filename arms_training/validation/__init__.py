"""Checking content and responses: cross-reference checks, ``validate``, library coverage and
the identifier linter."""
