"""Persistence, the service layer and the ``chuding`` command, built on ``states``."""
