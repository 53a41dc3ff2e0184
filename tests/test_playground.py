"""The playground page (``GET /``) in a real headless browser: Debian's chromium driven by
selenium, against the real app served by uvicorn on 127.0.0.1.

Selenium Manager never runs (the driver path is given), so nothing is downloaded. Skipped only
when /usr/bin/chromium or /usr/bin/chromedriver is missing (``apt-get install chromium
chromium-driver``; CI installs them in ``.ci/run``).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the playground page in Debian's headless Chromium

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

NO_BROWSER = ("browser test needs Debian's chromium and chromedriver "
              "(/usr/bin/chromium, /usr/bin/chromedriver): apt-get install chromium chromium-driver")

TOKEN = "playground-test-token"
# an emoji (one code point, two UTF-16 units) before the phone number and the threat: the page
# must turn the server's code-point offsets into JavaScript string indices
POST = "😡 Ruf mich an: 0171 2345678. Wenn ich bis morgen nichts höre, geht das an die BILD!"
WAIT = 10


@contextlib.contextmanager
def serve(app):
    """The app on a free port of 127.0.0.1, in a background thread; yields the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            loop="asyncio", http="h11", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + WAIT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(WAIT)
        sock.close()


@pytest.fixture(scope="module")
def open_server(tiny_model):
    from shitstorm.server import ServerConfig, create_app

    # a small body limit, so that the page's 413 message can be seen with a modest paste
    with serve(create_app(ServerConfig(max_body_bytes=4000), model=tiny_model)) as url:
        yield url


@pytest.fixture(scope="module")
def token_server(tiny_model):
    from shitstorm.server import ServerConfig, create_app

    with serve(create_app(ServerConfig(token=TOKEN), model=tiny_model)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.skip(NO_BROWSER)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,1600",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    # record every Content-Security-Policy violation the page causes
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', function (e) {"
        "  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI); });")})
    try:
        yield driver
    finally:
        driver.quit()


# --- helpers -----------------------------------------------------------------------------------
def wait_for(driver, condition, message=""):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # the page rebuilds its result on every answer: an element read mid-rebuild is just retried
    return WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)
                         ).until(condition, message)


def by_id(driver, id_):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, id_)


def css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def text_of(element) -> str:
    return element.get_attribute("textContent")


def paste(driver, text):
    """Put text into the post field the way a paste does (ChromeDriver cannot type emoji)."""
    driver.execute_script(
        "const t = document.getElementById('post'); t.value = arguments[0];"
        "t.dispatchEvent(new Event('input', {bubbles: true}));", text)


def open_page(driver, url):
    driver.get(url + "/")
    wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete")


def score_and_wait(driver):
    """Click "Bewerten" and wait for a fresh result."""
    driver.execute_script("document.getElementById('results').hidden = true;")
    by_id(driver, "score-button").click()
    wait_for(driver, lambda d: by_id(d, "results").is_displayed(), "no result shown")


# --- tests -------------------------------------------------------------------------------------
def test_page_is_self_contained(open_server):
    with urllib.request.urlopen(open_server + "/") as res:
        csp = res.headers["Content-Security-Policy"]
        html = res.read().decode("utf-8")
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert "http:" not in csp and "https:" not in csp
    # every src/href in the page is relative or data:, and nothing is imported from outside
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html)
    assert refs, "expected at least the data: icon"
    for ref in refs:
        assert ref.startswith("data:") or not re.match(r"^[a-z][a-z0-9+.-]*:|^//", ref, re.IGNORECASE), ref
    assert "@import" not in html and "url(" not in html
    assert ".innerHTML" not in html and "insertAdjacentHTML" not in html and "document.write" not in html


def test_scores_highlights_and_triage(browser, open_server):
    browser.get_log("browser")  # start with an empty console log
    open_page(browser, open_server)
    assert by_id(browser, "token-panel").is_displayed() is False
    paste(browser, POST)
    score_and_wait(browser)

    badge = by_id(browser, "level-badge")
    assert badge.get_attribute("data-level") == "critical"
    assert badge.text.lower() == "kritisch"
    assert by_id(browser, "escalation").text.endswith("%")
    assert by_id(browser, "publicity-pressure").text.endswith("%")

    # the reasons, highlighted on exactly their words despite the emoji in front of them
    threat = css(browser, '#post-view mark[data-cue="publicity_media"]')
    assert [text_of(m) for m in threat] == ["an die BILD"]
    assert "publicity_media" in threat[0].get_attribute("title")
    assert [text_of(m) for m in css(browser, '#post-view mark[data-cue="ultimatum"]')] == ["Wenn ich bis"]
    # the phone number, highlighted differently, with its kind
    phone = css(browser, '#post-view mark.pii[data-kind="phone"]')
    assert [text_of(m) for m in phone] == ["0171 2345678"]
    assert phone[0].get_attribute("data-label") == "Telefon"
    # the highlighted view is the post, character for character
    assert text_of(by_id(browser, "post-view")) == POST
    assert any("0171 2345678" in text_of(li) for li in css(browser, '#pii li[data-kind="phone"]'))

    assert by_id(browser, "priority").text == "P1"
    assert "30 Minuten" in by_id(browser, "respond-within").text
    assert by_id(browser, "route").get_attribute("data-route") == "legal_pr"
    advice_ids = [li.get_attribute("data-id") for li in css(browser, "#advice li")]
    assert "pressure_check_merits" in advice_ids and "pii_move_to_private" in advice_ids
    assert all(text_of(li).strip() for li in css(browser, "#advice li"))
    assert "shitstorm_priority__p1" in [li.text for li in css(browser, "#tags li")]
    assert "kritisch" in text_of(by_id(browser, "status"))

    # the model version, from GET /v1/model (no token needed on this server)
    wait_for(browser, lambda d: by_id(d, "model-version").is_displayed())
    assert re.match(r"Modell \d+\.\d+\.\d+\+", by_id(browser, "model-version").text)

    # nothing was fetched from anywhere else, nothing was blocked, nothing failed
    origin = browser.execute_script("return location.origin")
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert any("/v1/score" in r for r in resources)
    assert all(r.startswith((origin + "/", "data:")) for r in resources), resources
    assert browser.execute_script("return window.__cspViolations") == []
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []


def test_english_advice_and_keyboard(browser, open_server):
    from selenium.webdriver.common.keys import Keys

    open_page(browser, open_server)
    paste(browser, POST)
    post = by_id(browser, "post")
    post.send_keys(Keys.CONTROL, Keys.ENTER)  # Ctrl+Enter scores too
    wait_for(browser, lambda d: by_id(d, "results").is_displayed())
    first = css(browser, '#advice li[data-id="answer_fast"]')[0]
    assert text_of(first).startswith("Schnell antworten")

    by_id(browser, "lang-en").click()
    assert by_id(browser, "lang-en").get_attribute("aria-pressed") == "true"

    def first_advice(d):
        return text_of(css(d, '#advice li[data-id="answer_fast"]')[0])

    wait_for(browser, lambda d: first_advice(d).startswith("Answer fast"),
             "advice did not switch to English")
    assert by_id(browser, "advice").get_attribute("lang") == "en"
    assert by_id(browser, "level-badge").text == "Kritisch"  # the rest of the page stays German

    by_id(browser, "lang-de").click()
    wait_for(browser, lambda d: first_advice(d).startswith("Schnell"))


def test_post_text_is_never_html(browser, open_server):
    open_page(browser, open_server)
    hostile = '<img src=x onerror="window.__owned=1"><b>Frechheit</b> Wenn ich bis morgen nichts höre!'
    paste(browser, hostile)
    score_and_wait(browser)
    assert css(browser, "#post-view img") == [] and css(browser, "#post-view b") == []
    assert text_of(by_id(browser, "post-view")) == hostile
    assert browser.execute_script("return window.__owned") is None
    assert [li.get_attribute("data-flag") for li in css(browser, "#flags li")] == ["html"]


def test_offsets_after_combining_marks_family_emoji_and_broken_surrogates(browser, open_server):
    # "Mu" + combining diaeresis (the server composes it for the model; offsets stay in the text
    # as sent, issue 12 item 6), a family
    # emoji of five code points joined by ZWJ, and half an emoji (a lone surrogate) before the cues
    post = ("Mu\u0308ller 👨\u200d👩\u200d👧 {LONE} Tel. 0171 2345678. "
            "Wenn ich bis morgen nichts höre, geht das an die BILD!")
    open_page(browser, open_server)
    paste(browser, post)
    # a lone surrogate cannot travel through WebDriver's JSON: made in the page
    browser.execute_script("const t = document.getElementById('post');"
                           "t.value = t.value.replace('{LONE}', String.fromCharCode(0xD83D));")
    score_and_wait(browser)
    assert by_id(browser, "error").text == ""
    threat = css(browser, '#post-view mark[data-cue="publicity_media"]')
    assert [text_of(m) for m in threat] == ["an die BILD"]
    assert [text_of(m) for m in css(browser, '#post-view mark.pii[data-kind="phone"]')] == ["0171 2345678"]
    assert text_of(by_id(browser, "post-view")).startswith("Mu\u0308ller 👨\u200d👩\u200d👧 \ufffd Tel.")


def test_errors_in_plain_words(browser, open_server):
    open_page(browser, open_server)
    by_id(browser, "score-button").click()
    assert "Beitrag einfügen" in by_id(browser, "error").text

    paste(browser, "Wie lange noch? " * 400)  # over this server's 4,000-byte body limit
    by_id(browser, "score-button").click()
    wait_for(browser, lambda d: "zu groß" in by_id(d, "error").text, "no 413 message")

    paste(browser, POST)
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    try:
        by_id(browser, "score-button").click()
        wait_for(browser, lambda d: "nicht erreichbar" in by_id(d, "error").text, "no network message")
    finally:
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        browser.execute_cdp_cmd("Network.disable", {})
    score_and_wait(browser)
    assert by_id(browser, "error").text == ""


def test_token_flow(browser, token_server):
    open_page(browser, token_server)
    paste(browser, POST)
    by_id(browser, "score-button").click()
    # 401: the page asks for the token and shows no result
    wait_for(browser, lambda d: by_id(d, "token-input").is_displayed(), "no token field after 401")
    assert not by_id(browser, "results").is_displayed()
    assert not by_id(browser, "forget-token").is_displayed()

    # a wrong token is refused and not kept
    by_id(browser, "token-input").send_keys("wrong-token")
    by_id(browser, "token-submit").click()
    wait_for(browser, lambda d: by_id(d, "token-input").is_displayed()
             and "nicht angenommen" in by_id(d, "token-message").text)
    assert browser.execute_script("return sessionStorage.getItem('shitstorm.token')") is None

    by_id(browser, "token-input").send_keys(TOKEN)
    by_id(browser, "token-submit").click()
    # the pending request is retried with the token
    wait_for(browser, lambda d: by_id(d, "results").is_displayed(), "no result after the token")
    assert by_id(browser, "level-badge").get_attribute("data-level") == "critical"
    assert by_id(browser, "priority").text == "P1"
    assert [text_of(m) for m in css(browser, '#post-view mark.pii[data-kind="phone"]')] == ["0171 2345678"]
    assert not by_id(browser, "token-panel").is_displayed()
    wait_for(browser, lambda d: by_id(d, "model-version").is_displayed())
    assert by_id(browser, "model-version").text.startswith("Modell ")
    # kept for this tab only
    assert browser.execute_script("return sessionStorage.getItem('shitstorm.token')") == TOKEN
    assert browser.execute_script("return localStorage.length") == 0

    # a reload keeps the token for the tab: scoring works without asking again
    open_page(browser, token_server)
    paste(browser, POST)
    score_and_wait(browser)
    assert not by_id(browser, "token-panel").is_displayed()

    # "Token vergessen" clears it; the next request asks again
    forget = by_id(browser, "forget-token")
    assert forget.is_displayed()
    forget.click()
    assert browser.execute_script("return sessionStorage.getItem('shitstorm.token')") is None
    assert not forget.is_displayed()
    by_id(browser, "score-button").click()
    wait_for(browser, lambda d: by_id(d, "token-input").is_displayed(), "no token field after forgetting")
    assert browser.execute_script("return window.__cspViolations") == []


# --- agents' corrections ("Stimmt / Stimmt nicht") ---------------------------------------------
@pytest.fixture(scope="module")
def feedback_server(tiny_model, tmp_path_factory):
    from shitstorm.server import ServerConfig, create_app

    db = tmp_path_factory.mktemp("feedback") / "fb.sqlite3"
    with serve(create_app(ServerConfig(token=TOKEN, feedback_db=str(db), feedback_text="redacted"),
                          model=tiny_model)) as url:
        yield url, db


def stored(db) -> list[tuple]:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(db)) as con, con:
        return con.execute("SELECT verdict, level, publicity_pressure, source, text FROM feedback").fetchall()


def test_feedback_control_is_hidden_when_the_server_keeps_no_feedback(browser, open_server):
    open_page(browser, open_server)
    paste(browser, POST)
    score_and_wait(browser)
    assert not by_id(browser, "feedback").is_displayed()


def test_agent_confirms_undoes_and_corrects(browser, feedback_server):
    url, db = feedback_server
    open_page(browser, url)
    browser.execute_script(f"sessionStorage.setItem('shitstorm.token', '{TOKEN}')")
    browser.get_log("browser")  # from here on, an empty console log
    open_page(browser, url)
    paste(browser, POST)
    score_and_wait(browser)
    assert by_id(browser, "feedback").is_displayed()
    assert not by_id(browser, "feedback-form").is_displayed()

    # "Stimmt": the model's verdict is stored as a confirmation, without the phone number
    by_id(browser, "feedback-yes").click()
    wait_for(browser, lambda d: "Bestätigung" in by_id(d, "feedback-status").text, "no confirmation")
    assert by_id(browser, "feedback-yes").get_attribute("aria-pressed") == "true"
    [(verdict, level, pressure, source, text)] = stored(db)
    assert (verdict, level, pressure, source) == ("confirmed", "critical", 1, "playground")
    assert "[TELEFON]" in text and "0171" not in text

    # "Rückgängig machen" deletes it again (DELETE /v1/feedback/{id})
    by_id(browser, "feedback-undo").click()
    wait_for(browser, lambda d: "gelöscht" in by_id(d, "feedback-status").text, "not deleted")
    assert stored(db) == []

    # "Stimmt nicht": the form starts from the model's verdict; the agent changes it
    no = by_id(browser, "feedback-no")
    no.click()
    assert no.get_attribute("aria-expanded") == "true" and by_id(browser, "feedback-form").is_displayed()
    assert css(browser, 'input[name="fb-level"]:checked')[0].get_attribute("value") == "critical"
    assert css(browser, 'input[name="fb-pressure"]:checked')[0].get_attribute("value") == "yes"
    css(browser, 'input[name="fb-level"][value="low"]')[0].click()
    css(browser, 'input[name="fb-pressure"][value="no"]')[0].click()
    by_id(browser, "feedback-send").click()
    wait_for(browser, lambda d: "Korrektur" in by_id(d, "feedback-status").text, "no correction")
    assert "niedrig" in by_id(browser, "feedback-status").text
    assert [row[:3] for row in stored(db)] == [("corrected", "low", 0)]

    # a second verdict on the same result replaces the first
    by_id(browser, "feedback-yes").click()
    wait_for(browser, lambda d: "Bestätigung" in by_id(d, "feedback-status").text, "no second verdict")
    wait_for(browser, lambda d: [row[:3] for row in stored(db)] == [("confirmed", "critical", 1)],
             "the first verdict was not replaced")

    # every radio button has a visible label, and nothing broke the CSP
    for radio in css(browser, "#feedback-form input[type=radio]"):
        assert radio.find_element("xpath", "..").tag_name == "label"
    assert browser.execute_script("return window.__cspViolations") == []
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
