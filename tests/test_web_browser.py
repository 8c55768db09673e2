"""The web review page in a real browser: Debian's headless Chromium, driven by Selenium through
/usr/bin/chromedriver, against `access-review serve` running as its own process.

The whole flow: `campaign send` e-mails each reviewer through a real SMTP server (aiosmtpd);
the test opens the link from the caught message, answers (one with the keyboard), is told a
flagged Keep needs a reason, reloads (answers kept), accepts the remaining recommendations,
finishes; then `campaign status`, `close` and the evidence pack show those decisions via web.
The page passes axe-core's WCAG 2.1 A/AA rules with no serious or critical violation, works
without JavaScript, and phone and desktop screenshots are written as artifacts."""

from __future__ import annotations

import base64
import csv
import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from access_review.cli import app as cli_app
from loopback import free_port
from smtp_server import Inbox, running_smtp_server
from web_env import ARTIFACTS, AXE, ServerProcess, chromium, open_campaign

pytestmark = [pytest.mark.browser, pytest.mark.smtp]
runner = CliRunner()
PHONE, DESKTOP = (390, 844), (1280, 900)


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    with running_smtp_server(inbox) as controller:
        inbox.port = controller.port
        yield inbox


@pytest.fixture(scope="module")
def served(demo_template, tmp_path_factory, smtp):
    """The demo district, its campaign e-mailed with links, and the page served on loopback."""
    demo = demo_template.copy_to(tmp_path_factory.mktemp("web-browser") / "district")
    port = free_port()
    district = open_campaign(demo, port, smtp_port=smtp.port, default="keep")
    result = runner.invoke(
        cli_app,
        ["campaign", "send", "--config", str(district.config_path), "--today", "2026-11-28"],
    )
    assert result.exit_code == 0, result.output
    server = ServerProcess(district.config_path, port)
    yield district, server
    server.stop()


@pytest.fixture(scope="module")
def artifacts():
    folder = ARTIFACTS
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"\nreview page screenshots: {folder}")
    return folder


def link_in_message(inbox: Inbox, email: str) -> str:
    (message,) = [m for m in inbox.messages if email in m["To"]]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    found = re.search(r"Open your review:\r?\n(http://127\.0\.0\.1:\d+/r/\S+)", text)
    assert found, text
    link = found[1]
    assert f'href="{link}"' in html  # the button carries the same link
    return link


def screenshot(driver, path: Path, size: tuple[int, int], *, full: bool = False) -> Path:
    """The page as a phone or a desktop shows it (device metrics emulated, as DevTools does)."""
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    params = {"format": "png"}
    if full:
        total = driver.execute_script("return document.documentElement.scrollHeight")
        params.update(
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": width, "height": min(total, 12000), "scale": 1},
        )
    path.write_bytes(
        base64.b64decode(driver.execute_cdp_cmd("Page.captureScreenshot", params)["data"])
    )
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path


def axe_violations(driver) -> list[dict]:
    assert AXE.exists(), (
        f"{AXE} is missing: ./scripts/test installs axe-core (npm ci --prefix tests/web)"
    )
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
        " 'best-practice']}}).then(done, e => done({error: String(e)}));"
    )
    assert "error" not in result, result
    return result["violations"]


def wait_text(driver, css: str, text: str, timeout: float = 15) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        lambda d: text in d.find_element(By.CSS_SELECTOR, css).text, f"{css} never said {text!r}"
    )


def open_link(driver, link: str) -> str:
    """Open a personal link; the page it lands on moves on to /review by itself (a meta
    refresh, after the load that driver.get waits for)."""
    from selenium.webdriver.support.ui import WebDriverWait

    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    def arrived(d) -> bool:
        try:
            return (
                urlsplit(d.current_url).path != urlsplit(link).path
                and d.execute_script("return document.readyState") == "complete"
                and bool(d.find_elements(By.CSS_SELECTOR, "footer"))
            )  # the new page, loaded to its end
        except WebDriverException:  # between two documents
            return False

    driver.get(link)
    WebDriverWait(driver, 15).until(arrived, "the link's page never moved on")
    return driver.current_url


def click_and_wait_for_page(driver, element) -> None:
    """Click something that loads a new page, and wait until the old one is gone."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    from selenium.common.exceptions import WebDriverException

    old = driver.find_element(By.TAG_NAME, "html")
    try:
        element.click()
    except WebDriverException as exc:
        # chromedriver sometimes finishes a click after the page it started has already
        # unloaded (the form was posted): the click happened; the new page is what counts.
        # With scripts off the same race surfaces as an "unhandled inspector error". If the
        # click did not in fact happen, the wait below fails the test.
        if not _node_left_the_document(exc):
            raise

    def old_page_gone(driver) -> bool:
        try:
            return expected_conditions.staleness_of(old)(driver)
        except WebDriverException as exc:
            # Asked about the old page's node while the new page replaces it, chromedriver can
            # answer with the same inspector error instead of "stale": the node is gone.
            if _node_left_the_document(exc):
                return True
            raise

    WebDriverWait(driver, 15).until(old_page_gone, "the page never moved on after the click")


def _node_left_the_document(exc: Exception) -> bool:
    """chromedriver's words for a node of a page that has unloaded, when it does not say stale."""
    return any(
        words in str(exc)
        for words in ("does not belong to the document", "unhandled inspector error")
    )


def test_without_javascript_the_plain_forms_work(served, artifacts):
    from selenium.webdriver.common.by import By

    district, _ = served
    reviewer = district.reviewer_with(lambda i: i.flagged and i.reviewer != "iso")
    others = [r for r in {i.reviewer for i in district.items()} if r != reviewer]
    # A second reviewer, answering with scripts off (links were issued by the send).
    from campaigns.delivery import review_links
    from campaigns.store import CampaignStore

    with district.store() as store:
        cstore = CampaignStore(store)
        target = min(
            others,
            key=lambda r: (not any(i.flagged for i in district.items(r)), len(district.items(r))),
        )
        link = review_links(
            store, cstore, cstore.get(district.campaign_id), district.config, [target]
        )[target]
    items = district.items(target)
    driver = chromium(javascript=False)
    try:
        landed = open_link(driver, link)  # the meta refresh needs no script
        assert landed.endswith("/review"), landed
        item = next(i for i in items if not i.flagged)
        driver.find_element(By.CSS_SELECTOR, f"label[for='revoke-{item.item_id}']").click()
        click_and_wait_for_page(
            driver,
            driver.find_element(By.CSS_SELECTOR, f"#item-{item.item_id} button[type=submit]"),
        )
        assert f"/review?saved={item.item_id}" in driver.current_url
        assert "Your answer was saved." in driver.find_element(By.CSS_SELECTOR, ".notice").text
        assert driver.find_element(By.ID, f"revoke-{item.item_id}").is_selected()
        flagged = next((i for i in items if i.flagged), None)
        if flagged is not None:
            driver.find_element(By.CSS_SELECTOR, f"label[for='keep-{flagged.item_id}']").click()
            click_and_wait_for_page(
                driver,
                driver.find_element(
                    By.CSS_SELECTOR, f"#item-{flagged.item_id} button[type=submit]"
                ),
            )
            summary = driver.find_element(By.CSS_SELECTOR, ".error-summary")
            assert "needs a justification" in summary.text
            # The error takes the focus (autofocus), so a screen reader user lands on it.
            assert driver.switch_to.active_element.get_attribute("id") == f"just-{flagged.item_id}"
            screenshot(driver, artifacts / "no-javascript-error-phone.png", PHONE)
    finally:
        driver.quit()
    decided = district.decisions()
    assert decided[item.item_id].decision == "revoke" and decided[item.item_id].via == "web"
    assert flagged is None or flagged.item_id not in decided


def test_the_whole_review_in_chromium_from_the_email_to_the_evidence_pack(
    served, smtp, artifacts, tmp_path
):
    from selenium.webdriver.common.by import By

    district, server = served
    reviewer = district.reviewer_with(lambda i: i.flagged and i.reviewer != "iso")
    mine = district.items(reviewer)
    email = mine[0].reviewer_email
    link = link_in_message(smtp, email)
    flagged = [i for i in mine if i.flagged]
    unflagged = [i for i in mine if not i.flagged]
    assert flagged and len(unflagged) >= 3

    driver = chromium()
    try:
        landed = open_link(driver, link)
        assert landed == f"http://127.0.0.1:{server.port}/review"  # the token left the address bar
        review_in_the_browser(driver, mine, reviewer, flagged, unflagged, artifacts)
    except Exception:
        # What the browser showed when it went wrong, beside the screenshots.
        (artifacts / "failure.html").write_text(driver.page_source, encoding="utf-8")
        screenshot(driver, artifacts / "failure.png", DESKTOP)
        print(
            f"the page at the failure: {artifacts / 'failure.html'}; the server's log:\n{server.output()}"
        )
        raise
    finally:
        driver.quit()
    target = flagged[0]
    check_the_iso_side(district, mine, reviewer, target, tmp_path)

    # After close, the same link is a clear page, not an error.
    driver = chromium()
    try:
        driver.get(link)
        assert driver.find_element(By.TAG_NAME, "h1").text == "This review has closed"
    finally:
        driver.quit()


def review_in_the_browser(driver, mine, reviewer, flagged, unflagged, artifacts) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    (cookie,) = driver.get_cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (
        "review_session",
        True,
        "Strict",
        False,
    )
    assert (
        driver.find_element(By.TAG_NAME, "h1").text
        == f"Your access review, {mine[0].reviewer_name}"
    )
    assert "Lakeview School District" in driver.find_element(By.CSS_SELECTOR, ".masthead").text
    assert f"0 of {len(mine)} decided" in driver.find_element(By.ID, "progress-text").text

    violations = axe_violations(driver)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(
        [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in serious],
        indent=1,
    )
    screenshot(driver, artifacts / "review-desktop.png", DESKTOP)
    screenshot(driver, artifacts / "review-phone.png", PHONE)
    screenshot(driver, artifacts / "review-phone-full.png", PHONE, full=True)

    # Revoke an unflagged item: saved as soon as it is chosen (no Save press needed).
    first, second = unflagged[0], unflagged[1]
    driver.find_element(By.CSS_SELECTOR, f"label[for='revoke-{first.item_id}']").click()
    wait_text(driver, f"#status-{first.item_id}", "Saved: Revoke")
    wait_text(driver, "#progress-text", f"1 of {len(mine)} decided")
    # With the keyboard: Space on the focused Keep button of another item.
    driver.find_element(By.ID, f"keep-{second.item_id}").send_keys(Keys.SPACE)
    wait_text(driver, f"#status-{second.item_id}", "Saved: Keep")
    # Keep a flagged item: a reason is required, the same rule as the workbook's.
    target = flagged[0]
    driver.find_element(By.CSS_SELECTOR, f"label[for='keep-{target.item_id}']").click()
    wait_text(driver, f"#err-{target.item_id}", "needs a justification")
    status = driver.find_element(By.ID, f"status-{target.item_id}")
    assert status.text == "Not saved" and "not-saved" in status.get_attribute(
        "class"
    )  # shown in red
    assert (
        driver.find_element(By.ID, f"just-{target.item_id}").get_attribute("aria-invalid") == "true"
    )
    screenshot(driver, artifacts / "justification-required-phone.png", PHONE)
    box = driver.find_element(By.ID, f"just-{target.item_id}")
    box.send_keys("Covers the front office while the secretary is out")
    driver.find_element(By.CSS_SELECTOR, f"#item-{target.item_id} button[type=submit]").click()
    wait_text(driver, f"#status-{target.item_id}", "Saved: Keep")
    for other in flagged[1:]:
        driver.find_element(By.CSS_SELECTOR, f"label[for='revoke-{other.item_id}']").click()
        wait_text(driver, f"#status-{other.item_id}", "Saved: Revoke")

    # Reload: every answer is still there (saved as given, nothing held in the page).
    driver.refresh()
    assert driver.find_element(By.ID, f"revoke-{first.item_id}").is_selected()
    assert driver.find_element(By.ID, f"keep-{second.item_id}").is_selected()
    assert driver.find_element(By.ID, f"keep-{target.item_id}").is_selected()
    assert (
        driver.find_element(By.ID, f"just-{target.item_id}").get_attribute("value")
        == "Covers the front office while the secretary is out"
    )
    answered = 2 + len(flagged)
    assert f"{answered} of {len(mine)} decided" in driver.find_element(By.ID, "progress-text").text

    # Accept our recommendation for the rest; everything is decided: a clear done state.
    click_and_wait_for_page(
        driver, driver.find_element(By.CSS_SELECTOR, "form[action='/review/accept-all'] button")
    )
    accepted = len(mine) - answered
    suffix = "s" if accepted != 1 else ""
    wait_text(driver, ".notice", f"Our recommendation was accepted for {accepted} item{suffix}.")
    assert "all done, thank you" in driver.find_element(By.ID, "progress-text").text
    screenshot(driver, artifacts / "all-decided-desktop.png", DESKTOP)
    click_and_wait_for_page(
        driver, driver.find_element(By.CSS_SELECTOR, "form[action='/review/finish'] button")
    )
    wait_text(driver, "h1", "Thank you")
    assert f"You decided all {len(mine)} items" in driver.find_element(By.TAG_NAME, "main").text
    screenshot(driver, artifacts / "done-phone.png", PHONE)
    assert not [v for v in axe_violations(driver) if v["impact"] in ("serious", "critical")]


def check_the_iso_side(district, mine, reviewer, target, tmp_path) -> None:
    """status, close and the evidence pack show the web answers."""
    config = ["--config", str(district.config_path)]
    status = runner.invoke(cli_app, ["campaign", "status", *config], env={"COLUMNS": "200"})
    assert status.exit_code == 0, status.output
    via_web = re.search(r"answers given: (\d+) via web", status.output)
    assert via_web and int(via_web[1]) >= len(mine)
    assert re.search(
        rf"{re.escape(mine[0].reviewer_name)} \({reviewer}\)\s+{len(mine)}\s+{len(mine)}\s+0\s+0",
        status.output,
    ), status.output
    closed = runner.invoke(
        cli_app, ["campaign", "close", "--yes", "--today", "2026-12-20", *config]
    )
    assert closed.exit_code == 0, closed.output
    pack = tmp_path / "pack"
    exported = runner.invoke(
        cli_app, ["export", "evidence", "--campaign", "2026Q4", "--out", str(pack), *config]
    )
    assert exported.exit_code == 0, exported.output
    with (pack / "01-items.csv").open(encoding="utf-8-sig") as fh:
        rows = {r["Item"]: r for r in csv.DictReader(fh)}
    decided = district.decisions()
    for item in mine:
        row = rows[item.item_id]
        assert (row["Answered via"], row["Decision source"]) == ("web", "reviewer"), row
        assert row["Response"] == f"decided: {decided[item.item_id].decision}"
    assert (
        rows[target.item_id]["Justification"]
        == "Covers the front office while the secretary is out"
    )
    with (pack / "06-audit-log.csv").open(encoding="utf-8-sig") as fh:
        actions = [r["Action"] for r in csv.DictReader(fh)]
    assert "campaign.answer" in actions and "campaign.answer.accept_recommendations" in actions
