"""Where an outbox row is in its life: light to import, so every command can name them."""

from __future__ import annotations

from enum import StrEnum


class OutboxStatus(StrEnum):
    """pending → sending → sent; dead when it cannot go (``outbox retry`` revives it)."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by a relay; claimed again if its lease runs out
    SENT = "sent"
    DEAD = "dead"
