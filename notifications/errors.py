"""Errors the notification settings raise: light to import, so every command can name them."""

from __future__ import annotations


class SettingsError(ValueError):
    """Settings that cannot work, each named by its variable."""
