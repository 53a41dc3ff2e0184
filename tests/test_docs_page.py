"""``/docs`` and ``/redoc`` offline: Swagger UI and ReDoc from the package's assets (fastapi-offline),
in process, and ``/docs`` rendered in Debian's headless Chromium with nothing from outside."""

from __future__ import annotations

import re
import urllib.request

import pytest

pytest.importorskip("fastapi", reason="the server extra is not installed")

from .test_playground import CHROMEDRIVER, CHROMIUM, browser, by_id, css, serve, wait_for  # noqa: F401

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def client(tiny_model):
    import warnings

    from shitstorm.server import ServerConfig, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's testclient warns about its httpx transport
        from fastapi.testclient import TestClient
    return TestClient(create_app(ServerConfig(token="docs-test-token-123456"), model=tiny_model))


@pytest.mark.parametrize("page, asset", [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")])
def test_docs_pages_load_their_assets_from_this_server(client, page, asset):
    r = client.get(page)
    assert r.status_code == 200
    html = r.text
    assert EXTERNAL.search(html) is None, "a script, style sheet or icon from another host"
    assert "cdn" not in html.lower() and "fonts.googleapis" not in html
    assert f'src="/static/docs/{asset}"' in html
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "http" not in csp
    for src in re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html):
        if src.startswith("/static/docs/"):
            got = client.get(src)
            assert got.status_code == 200 and len(got.content) > 1000, src


def test_docs_need_no_token_but_the_api_does(client):
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.post("/v1/score", json={"text": "Hallo"}).status_code == 401


def test_without_the_assets_the_page_says_so(tiny_model, monkeypatch):
    import warnings

    from shitstorm.server import ServerConfig, create_app, docs

    monkeypatch.setattr(docs, "assets_dir", lambda: None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    r = TestClient(create_app(ServerConfig(), model=tiny_model)).get("/docs")
    assert r.status_code == 503
    assert "fastapi-offline" in r.text and "/openapi.json" in r.text and EXTERNAL.search(r.text) is None


@pytest.mark.slow
def test_docs_render_offline_in_the_browser(browser, tiny_model, tmp_path):  # noqa: F811
    from shitstorm.server import ServerConfig, create_app

    app = create_app(ServerConfig(feedback_db=str(tmp_path / "fb.sqlite3")), model=tiny_model)
    with serve(app) as url:
        with urllib.request.urlopen(url + "/docs") as res:
            assert res.status == 200
        browser.get(url + "/docs")
        wait_for(browser, lambda d: css(d, ".opblock-summary-path"), "Swagger UI rendered no operations")
        paths = {e.get_attribute("data-path") for e in css(browser, ".opblock-summary-path")}
        assert {"/v1/score", "/v1/score/batch", "/v1/feedback", "/v1/feedback/{feedback_id}"} <= paths
        assert "shitstorm" in css(browser, ".info .title")[0].text
        origin = browser.execute_script("return location.origin")
        resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert any(r.endswith("/openapi.json") for r in resources)
        assert all(r.startswith((origin + "/", "data:")) for r in resources), resources
        assert browser.execute_script("return window.__cspViolations") == []
        severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == []
