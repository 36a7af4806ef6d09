"""Running chuding: the settings, the one composition root (bootstrap), the clocks, the
background daemon, its schedule and its leadership."""
