"""People at work in a real browser: one case from import to confirmed by five operators in
their own sessions; refusals, other units' cases, stale forms, logout, lockout, CSRF, and
the applicant's link. Screenshots of the main pages are kept as test artifacts."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from typing import Any

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import PASSWORD, SECRET, Site, screenshot
from tests.support.helpers import EXAMPLE_FILE, bj
from tests.support.scans import jpeg
from tests.support.service import wait_for
from workflow.documents.review_form import printed_code
from workflow.usecases.links import sign

OCT_9, OCT_16, OCT_24 = "2024-10-09T10:00:00+08:00", "2024-10-16T10:00:00+08:00", "2024-10-24T11:00:00+08:00"


def press(driver: Any, button: Any) -> None:
    """Click a form's button and wait for the page it leads to (never read the old one)."""
    old = driver.find_element(By.TAG_NAME, "html")
    button.click()

    def replaced(_: Any) -> bool:
        # Chrome answers a node of a document being replaced with "does not belong to the
        # document" at times instead of a stale reference: both mean the old page is gone.
        try:
            return bool(staleness_of(old)(driver))
        except WebDriverException as err:
            if "does not belong to the document" in str(err):
                return True
            raise

    WebDriverWait(driver, 30).until(replaced)
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def log_in(driver: Any, site: Site, login: str, password: str = PASSWORD) -> None:
    driver.get(f"{site.base}/login")
    driver.find_element(By.NAME, "login").send_keys(login)
    driver.find_element(By.NAME, "password").send_keys(password)
    press(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button"))


def act(driver: Any, site: Site, case: int, event: str, understood: bool = False, **fields: str) -> None:
    """Open the case's page and do ``event`` from its own form, as a person would (ticking
    "I know the consequence" where the form asks, if ``understood``)."""
    driver.get(f"{site.base}/cases/{case}")
    form = driver.find_element(By.ID, f"act-{event}")
    for name, value in fields.items():
        box = form.find_element(By.NAME, name)
        box.clear()
        box.send_keys(value)
    if understood:
        form.find_element(By.NAME, "understood").click()
    press(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def text(driver: Any) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


def import_with_scans(driver: Any, site: Site, base: str | None = None) -> None:
    """The clerk imports the sample applications with a zip of the scans they name."""
    import zipfile

    bundle = site.tmp / "scans.zip"
    if not bundle.exists():
        with zipfile.ZipFile(bundle, "w") as z:
            for path in sorted((EXAMPLE_FILE.parent / "files").rglob("*")):
                if path.is_file():
                    z.write(path, path.relative_to(EXAMPLE_FILE.parent).as_posix())
    driver.get(f"{base or site.base}/import")
    driver.find_element(By.ID, "import-file").send_keys(str(EXAMPLE_FILE))
    driver.find_element(By.ID, "import-files").send_keys(str(bundle))
    press(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/import'] button"))


def upload(driver: Any, case: int, slot: str, *paths: Any) -> None:
    form = driver.find_element(By.CSS_SELECTOR, f"form[action='/cases/{case}/materials/{slot}']")
    form.find_element(By.NAME, "files").send_keys("\n".join(str(p) for p in paths))
    press(driver, form.find_element(By.TAG_NAME, "button"))


def test_one_case_goes_from_import_to_confirmed_through_the_browser(site: Site, browsers: Any) -> None:
    site.start(OCT_9)
    clerk, reviewer, water, paper, approver = (browsers() for _ in range(5))
    clerk.get(f"{site.base}/")
    assert clerk.current_url.endswith("/login")
    screenshot(clerk, "login")
    log_in(clerk, site, "clerk")
    press(clerk, clerk.find_element(By.LINK_TEXT, "导入"))
    import_with_scans(clerk, site)  # the applications and a zip of the scans they name
    assert "新建 2 件" in text(clerk)
    screenshot(clerk, "import")
    front, back = site.tmp / "身份证正面.jpg", site.tmp / "身份证背面.jpg"
    front.write_bytes(jpeg((600, 380)))
    back.write_bytes(jpeg((601, 380)))
    clerk.get(f"{site.base}/cases/1")
    assert "diploma.pdf" in text(clerk)  # the imported scans, in their slots
    upload(clerk, 1, "id_scan", front, back)  # two pages of one slot at once: its new version
    assert "身份证正面.jpg" in text(clerk) and "身份证背面.jpg" in text(clerk)
    act(clerk, site, 1, "submit")
    assert "已提交" in text(clerk) and site.state(1) == "submitted"

    log_in(reviewer, site, "reviewer")
    work = text(reviewer)
    assert "可以办理 1 件" in work and "2024-10-31 18:00:00" in work and "开始网上审核" in work
    screenshot(reviewer, "my-work")
    act(reviewer, site, 1, "start_review")
    image = reviewer.find_element(By.CSS_SELECTOR, "table.materials img.scan")  # the scan, on the page
    assert reviewer.execute_script("return arguments[0].naturalWidth", image) == 600
    assert len(reviewer.find_elements(By.CSS_SELECTOR, "table.materials a[href$='.pdf'], table.materials a")) >= 10
    assert not reviewer.find_elements(By.CSS_SELECTOR, "form[enctype='multipart/form-data']")  # frozen at submit
    # A PDF opens in the page's own viewer when asked, and only then is the view recorded.
    viewer = reviewer.find_element(By.XPATH, "//tr[td[contains(., '毕业证书（本科')]]//details[@class='pdf']")
    seen = site.views()
    viewer.find_element(By.TAG_NAME, "summary").click()
    wait_for(lambda: site.views() == seen + 1, "the in-page viewer to open the diploma", 30)
    screenshot(reviewer, "materials")
    # Return by slot: a reason beside the ID scan; the clerk sees it and must replace it.
    reviewer.get(f"{site.base}/cases/1")
    form = reviewer.find_element(By.ID, "act-return_for_correction")
    form.find_element(By.NAME, "reason").send_keys("请按所列材料修改")
    form.find_element(By.XPATH, ".//input[@name='slot_keys' and @value='id_scan']/following-sibling::input"
                                "[@name='slot_reasons']").send_keys("背面不清晰，请重新扫描")
    press(reviewer, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert site.state(1) == "returned"
    clerk.get(f"{site.base}/cases/1")
    assert "身份证扫描件（正、反面）：背面不清晰，请重新扫描" in clerk.find_element(By.CSS_SELECTOR, ".returned").text
    screenshot(clerk, "returned")
    act(clerk, site, 1, "submit")  # not replaced yet: refused, naming the slot
    assert "退回修改的身份证扫描件（正、反面）尚未重新上传" in text(clerk) and site.state(1) == "returned"
    back.write_bytes(jpeg((602, 380)))
    upload(clerk, 1, "id_scan", front, back)
    act(clerk, site, 1, "submit")
    assert site.state(1) == "submitted"
    act(reviewer, site, 1, "start_review")
    act(reviewer, site, 1, "approve_online")
    assert site.state(1) == "unit_publicity"

    log_in(water, site, "water")
    act(water, site, 1, "start_publicity")
    assert "单位公示" in text(water)
    units = EXAMPLE_FILE.parent / "files" / "units"
    upload(water, 1, "publicity_notice", units / "publicity.pdf")  # the unit posts its two scans
    upload(water, 1, "publicity_result", units / "publicity-result.pdf")

    log_in(paper, site, "paper")
    act(paper, site, 1, "receive_paper")  # too soon, and nothing ticked: every reason is shown
    refusal = paper.find_element(By.CSS_SELECTOR, "#act-receive_paper .refusal")
    assert len(refusal.find_elements(By.TAG_NAME, "li")) >= 2, refusal.text
    screenshot(paper, "refusal")
    assert site.state(1) == "unit_publicity"

    site.start(OCT_16)  # a week later: the publicity period is over; everyone is still logged in
    # The service marks the period complete on its own; a page read before that would be
    # stale by the time its form is sent (and rightly answered with a conflict).
    wait_for(lambda: "complete_publicity" in site.events(1), "the service to complete the publicity", 30)
    driver = water
    act(driver, site, 1, "close_publicity")  # the opinion comes pre-filled with the required words
    assert site.events(1)[-1] == "close_publicity" and site.state(1) == "unit_publicity", text(driver)

    site.start(OCT_24)  # the paper window is open
    paper.get(f"{site.base}/cases/1")
    boxes = paper.find_elements(By.CSS_SELECTOR, "#act-receive_paper input[type=checkbox]")
    assert len(boxes) == 8  # an engineer's list: without the teachers' extra items
    for box in boxes:
        box.click()
    paper.find_element(By.NAME, "form_code").send_keys(str(printed_code(site.engine, 1)))  # read off the form
    press(paper, paper.find_element(By.CSS_SELECTOR, "#act-receive_paper button"))
    assert site.state(1) == "paper_received"

    log_in(approver, site, "approver")
    act(approver, site, 1, "confirm")
    assert site.state(1) == "confirmed" and "已确认" in text(approver)
    history = approver.find_elements(By.CSS_SELECTOR, "h2 + table tbody tr")
    assert any("确认职称" in row.text and "approver" in row.text for row in history)
    screenshot(approver, "case")
    approver.get(f"{site.base}/campaign")
    assert len(approver.find_elements(By.TAG_NAME, "svg")) == 3
    screenshot(approver, "campaign")
    approver.set_window_size(390, 844)  # a phone: the wide table scrolls in its own box, not the page
    assert approver.execute_script("return document.documentElement.scrollWidth") <= 390
    approver.set_window_size(1280, 1100)
    approver.get(f"{site.base}/cases")
    screenshot(approver, "cases")


def test_people_see_only_what_is_theirs_and_stale_or_forged_forms_change_nothing(site: Site, browsers: Any) -> None:
    site.start(OCT_9)
    clerk, reviewer, school = browsers(), browsers(), browsers()
    log_in(clerk, site, "clerk")
    import_with_scans(clerk, site)
    act(clerk, site, 2, "submit")

    log_in(school, site, "school")  # the school's operator: case 1 is the water station's
    school.get(f"{site.base}/cases")
    listed = [a.text for a in school.find_elements(By.CSS_SELECTOR, "tbody a")]
    assert listed == ["2"]
    school.get(f"{site.base}/cases/1")
    assert "没有这个申报" in text(school)

    log_in(reviewer, site, "reviewer")
    reviewer.get(f"{site.base}/cases/2")  # the page is read...
    clerk.get(f"{site.base}/cases/2")  # not confirmed: the browser itself does not send the form
    withdraw = clerk.find_element(By.ID, "act-withdraw")
    withdraw.find_element(By.NAME, "reason").send_keys("申报人本人要求撤回")
    withdraw.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert clerk.execute_script("return arguments[0].checkValidity()", withdraw) is False
    assert site.state(2) == "submitted" and "撤回后本申报即告终止" in withdraw.text
    act(clerk, site, 2, "withdraw", understood=True, reason="申报人本人要求撤回")  # ...and the case changes meanwhile
    press(reviewer, reviewer.find_element(By.CSS_SELECTOR, "#act-start_review button"))
    assert "已被他人修改" in text(reviewer) and site.state(2) == "withdrawn"
    press(reviewer, reviewer.find_element(By.LINK_TEXT, "重新载入"))
    assert "已撤回" in text(reviewer)

    reviewer.get(f"{site.base}/cases/1")
    act(clerk, site, 1, "submit")
    reviewer.get(f"{site.base}/cases/1")
    reviewer.execute_script("document.querySelector('#act-start_review input[name=csrf]').value = 'forged'")
    press(reviewer, reviewer.find_element(By.CSS_SELECTOR, "#act-start_review button"))
    assert "不能办理" in text(reviewer) and site.state(1) == "submitted"

    reviewer.get(f"{site.base}/")
    press(reviewer, reviewer.find_element(By.CSS_SELECTOR, "form.logout button"))
    assert reviewer.current_url.endswith("/login")
    reviewer.get(f"{site.base}/cases/1")
    assert reviewer.current_url.endswith("/login")


def test_five_wrong_passwords_pause_the_login_at_that_address(site: Site, browsers: Any) -> None:
    site.start(OCT_9)
    driver = browsers()
    for _ in range(5):
        log_in(driver, site, "spare", "not the password at all")
        assert "登录名或密码不正确，或尝试次数过多已暂停" in text(driver)
    log_in(driver, site, "spare")  # the right one, too late: the same answer as any refusal
    assert "登录名或密码不正确，或尝试次数过多已暂停" in text(driver) and driver.current_url.endswith("/login")
    screenshot(driver, "paused")


def test_the_applicant_s_link_shows_their_case_and_a_tampered_or_expired_one_nothing(
        site: Site, browsers: Any) -> None:
    site.start(OCT_9)
    clerk, applicant = browsers(), browsers()
    log_in(clerk, site, "clerk")
    import_with_scans(clerk, site)
    act(clerk, site, 1, "submit")
    mail = site.tmp / "mail"

    def link() -> str | None:
        for path in sorted(mail.glob("*.eml")) if mail.exists() else []:
            body = message_from_bytes(path.read_bytes(), policy=default).get_body(("plain",))
            found = re.search(rf"{re.escape(site.base)}/status/[0-9]+\.[0-9]+\.[A-Za-z0-9_-]+",
                              body.get_content() if body is not None else "")
            if found and found.group().split("/status/")[1].startswith("1."):
                return found.group()
        return None

    wait_for(lambda: link() is not None, "an e-mail with the applicant's link", 60)
    applicant.get(str(link()))
    page = text(applicant)
    assert "办理进度" in page and "652822********0018" in page and "艾****" in page
    assert "登录" not in applicant.title
    screenshot(applicant, "applicant")
    good = str(link()).split("/status/")[1]
    case, expires, signature = good.split(".")
    applicant.get(f"{site.base}/status/2.{expires}.{signature}")
    assert "此链接无效或已过期" in text(applicant) and "652822" not in text(applicant)
    expired = sign(SECRET, 1, bj(2024, 10, 9, 10) - timedelta(seconds=1))
    applicant.get(f"{site.base}/status/{expired}")
    assert "此链接无效或已过期" in text(applicant)


def test_one_browser_session_works_on_two_replicas_on_postgresql(pg_site: Site, browsers: Any) -> None:
    site = pg_site
    site.start(OCT_9, replicas=2)
    first, second = (f"http://127.0.0.1:{port}" for port in site.ports)
    clerk = browsers()
    log_in(clerk, site, "clerk")  # on the first replica
    clerk.get(f"{second}/import")  # the second knows the session: it is in the database
    assert "导入申报" in text(clerk) and clerk.current_url.endswith("/import")
    import_with_scans(clerk, site, second)  # the scans go to the store both replicas share
    clerk.get(f"{first}/cases/1")
    press(clerk, clerk.find_element(By.CSS_SELECTOR, "#act-submit button"))
    assert site.state(1) == "submitted"
    clerk.get(f"{second}/")
    press(clerk, clerk.find_element(By.CSS_SELECTOR, "form.logout button"))  # logged out on the second...
    clerk.get(f"{first}/cases")
    assert clerk.current_url == f"{first}/login"  # ...is logged out on the first
