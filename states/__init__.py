"""The pure domain of chuding: states, events, rules and the notice they come from.

Imports only the standard library, ``transitions`` and ``chinesecalendar``: no
database, no clock reads, no I/O. ``workflow`` and ``notifications`` build on it.
"""
