"""Driving the pages as a browser does: logging in, and the form's token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

# The password every test operator has, and the moment the pages are tried at (the online
# window is open).
GOOD = "correct horse battery"
NOW = "2024-10-09T10:00:00+08:00"



def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def log_in(client: TestClient, login: str, password: str = GOOD) -> str:
    form = client.get("/login")
    done = client.post("/login", data={"login": login, "password": password, "csrf": csrf(form.text)})
    assert done.status_code == 303, done.text
    return csrf(client.get("/").text)
