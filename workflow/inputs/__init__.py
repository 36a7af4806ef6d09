"""Parsers of what comes in: import JSON and workbooks, the notice file and its schema,
the checks on each field."""
