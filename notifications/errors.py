"""Errors the notification settings raise: light to import, so every command can name them."""

from __future__ import annotations


class SettingsError(ValueError):
    """Settings that cannot work: one problem per bad variable, each naming it."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class DataUnreadable(RuntimeError):
    """What a message is about could not be read back (its case is gone from a damaged
    database): the relay stops rather than mark the message dead for it."""
