"""Notifications: the transactional outbox, jinja2 templates, e-mail and SMS, and the relay.

Messages are written as outbox rows in the same transaction as the state change that
causes them; the relay sends them afterwards, so a crash or a mail server that is down
never loses one. Imports ``states`` but not ``workflow``.
"""
