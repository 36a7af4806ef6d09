"""A real browser (Debian's Chromium, driven by Selenium) against `chuding serve` on a free
port. A machine without Chromium fails these tests loudly; `.ci/browser` installs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import Databases
from tests.support.helpers import engineer
from tests.support.pgserver import free_port
from tests.support.service import CHUDING, env_for, stop, wait_for
from tests.support.world import World
from workflow.store.db import make_engine, upgrade
from workflow.usecases.operators import add_operator
from workflow.usecases.passwords import set_password
from workflow.usecases.units import add_unit

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
PASSWORD = "a long enough password"
SECRET = "the bureau's link secret for the browser tests"


class Site:
    """`chuding serve` over a database of its own, restarted at another campaign time
    when a test needs time to pass (sessions are kept in the database, so they carry on)."""

    def __init__(self, tmp: Path, url: str | None = None):
        self.tmp = tmp
        self.url = url or f"sqlite:///{tmp / 'site.sqlite3'}"
        self.ports = [free_port(), free_port()]
        self.base = f"http://127.0.0.1:{self.ports[0]}"
        self.processes: list[subprocess.Popen[bytes]] = []
        engine = make_engine(self.url)
        upgrade(engine)
        World(engine)  # the notice, and one operator per county role
        unit = engineer()["unit"]
        with engine.begin() as conn:
            add_unit(conn, unit["code"], unit["name"], unit["level"], unit["type"])
            add_unit(conn, "LT-ED-07", "轮台县第二小学", "县级", "中小学")
            add_operator(conn, "water", "水利站经办人", "unit_operator", unit["code"])
            add_operator(conn, "school", "二小经办人", "unit_operator", "LT-ED-07")
            add_operator(conn, "spare", "备用", "county_reviewer", None)
        for login in ("admin", "clerk", "reviewer", "paper", "approver", "water", "school", "spare"):
            set_password(engine, login, login, PASSWORD)
        self.engine = engine

    def start(self, now: str, replicas: int = 1) -> None:
        """``replicas`` services at once (PostgreSQL), each serving the pages on its own port."""
        self.stop()
        env = env_for(self.url, self.tmp, CHUDING_NOW=now, CHUDING_PUBLIC_BASE_URL=self.base,
                      CHUDING_LINK_SECRET=SECRET)
        for port in self.ports[:replicas]:
            log = (self.tmp / "serve.log").open("ab")
            self.processes.append(subprocess.Popen(
                [*CHUDING, "serve", "--http", f"127.0.0.1:{port}", "--lead-seconds", "0.3", "--relay-seconds", "0.3"],
                env=env, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        for port in self.ports[:replicas]:
            wait_for(lambda port=port: self._answers(port), "the web pages", 60)  # type: ignore[misc]

    def _answers(self, port: int) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as page:  # noqa: S310 - ours
                return bool(page.status == 200)
        except OSError:
            assert all(p.poll() is None for p in self.processes), (self.tmp / "serve.log").read_text()
            return False

    def stop(self) -> None:
        while self.processes:
            assert stop(self.processes.pop()) == 0, (self.tmp / "serve.log").read_text()

    def state(self, case: int) -> str:
        with self.engine.connect() as conn:
            return str(conn.execute(sa.text("SELECT state FROM application_case WHERE id = :c"), {"c": case}).scalar())

    def views(self) -> int:
        """How many views of an applicant's file the audit has recorded."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM audit WHERE action = 'material.view'")).scalar_one())

    def events(self, case: int) -> list[str]:
        """The case's history, oldest first: what was done, not only where it stands."""
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT event FROM history WHERE case_id = :c ORDER BY id"),
                                     {"c": case}).scalars())


@contextmanager
def _running(found: Site) -> Iterator[Site]:
    try:
        yield found
    finally:
        found.stop()
        found.engine.dispose()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with _running(Site(tmp_path)) as found:
        yield found


@pytest.fixture
def pg_site(tmp_path: Path, databases: Databases) -> Iterator[Site]:
    """The same, on PostgreSQL, where several services may serve at once."""
    with _running(Site(tmp_path, databases.url("postgresql"))) as found:
        yield found


@pytest.fixture
def browsers() -> Iterator[Any]:
    """Opens browsers on demand, each its own profile (so its own cookies); closes them all."""
    if not (CHROMIUM.exists() and DRIVER.exists()):
        pytest.fail("Chromium is missing: run `bash .ci/browser` (Debian's chromium and chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # never let Selenium look for a browser on the network
    opened: list[Any] = []
    profiles: list[str] = []

    def open_browser() -> Any:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        profile = tempfile.mkdtemp(prefix="chuding-browser-")
        profiles.append(profile)
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--window-size=1280,1100", "--lang=zh-CN", f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
        driver.implicitly_wait(0)
        opened.append(driver)
        return driver

    try:
        yield open_browser
    finally:
        for driver in opened:
            driver.quit()
        for profile in profiles:
            shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver: Any, name: str) -> None:
    """Kept as a test artifact (tests/artifacts/screenshots), the whole page's height."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(700, min(int(height) + 40, 4000)))
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    driver.set_window_size(1280, 1100)
