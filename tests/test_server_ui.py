"""The browser query UI: YASGUI served by `agrs serve`, run in a headless Chromium that may reach loopback only."""

import gc
import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from agrs.server.ui.query_page import YASGUI_ENV, missing_assets, script_json, yasgui_dir

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
OWL_CLASS = "http://www.w3.org/2002/07/owl#Class"
KNOWN_LABEL = "Étoile du matin (AGRS UI test)"
#: a few triples in a plain graph, and a class the class autocompleter must find through the endpoint
TRIPLES = f"""
INSERT DATA {{ GRAPH <http://example.org/ui-test> {{
  <http://example.org/thing/1> <{RDFS_LABEL}> "{KNOWN_LABEL}"@fr .
  <http://example.org/thing/2> <{RDFS_LABEL}> "Second thing" .
  <http://example.org/Widget> a <{OWL_CLASS}> .
}} }}
"""
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

needs_chromium = pytest.mark.skipif(
    not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()),
    reason="Debian's chromium and chromium-driver are not installed (scripts/setup.sh --test installs them)",
)


def _filled_store(path: Path) -> Path:
    from agrs.store import open_store

    with open_store(path) as store:
        store.update(TRIPLES)
    gc.collect()  # RocksDB closes with the last pyoxigraph object, which may outlive close()
    return path


def _get(url: str, accept: str = BROWSER_ACCEPT) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8")


def _page_config(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="agrs-ui-config">(.*?)</script>', html, re.S)
    assert found, "the page carries no agrs-ui-config"
    return json.loads(found.group(1))


# --- the page, in-process ----------------------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path):
    from agrs.server.app import close_app, create_app
    from agrs.server.config import ServerConfig

    application = create_app(ServerConfig(store=tmp_path / "store", query_workers=1))
    yield application
    close_app(application)


def test_page_loads_only_local_assets_and_carries_the_project_config(app):
    from agrs.ns import prefixes
    from agrs.server.ui.query_page import query_page

    with app.test_request_context("/sparql", headers={"Accept": BROWSER_ACCEPT}):
        response = query_page()
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "connect-src 'self'" in policy and "default-src 'self'" in policy
    # Every resource the page names is on this host (relative), or an inline data: URL.
    for attribute in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert attribute.startswith("/") or attribute.startswith("data:"), attribute
    config = _page_config(html)
    assert config["endpoint"] == "/sparql"
    assert config["prefixes"] == prefixes()
    assert config["examples"], "no stored question is offered as an example"
    for example in config["examples"]:
        assert example["query"].strip() and example["name"]

    client = app.test_client()
    for path in (
        "/ui/yasgui/yasgui.min.js",
        "/ui/yasgui/yasgui.min.css",
        "/ui/static/query.js",
        "/ui/static/query.css",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/ui/yasgui/no-such-file.js").status_code == 404
    assert client.get("/ui/yasgui/../../package.json").status_code == 404


def test_yasgui_styles_fetch_nothing_from_another_host():
    css = (yasgui_dir() / "yasgui.min.css").read_text(encoding="utf-8")
    assert not re.search(r"@import", css)
    for target in re.findall(r"url\(\s*['\"]?([^'\")]+)", css):
        assert target.startswith("data:") or "//" not in target, target


def test_injected_json_cannot_close_the_script_element():
    text = script_json({"query": "</script><script>alert(1)</script><!-- & -->"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["query"] == "</script><script>alert(1)</script><!-- & -->"


def test_missing_assets_page_says_how_to_install_them(app, tmp_path, monkeypatch):
    from agrs.server.ui.query_page import query_page

    empty = tmp_path / "no-yasgui"
    empty.mkdir()
    monkeypatch.setenv(YASGUI_ENV, str(empty))
    with app.test_request_context("/sparql", headers={"Accept": BROWSER_ACCEPT}):
        response = query_page()
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert YASGUI_ENV in html and "vendor-yasgui.sh" in html and str(empty) in html
    assert app.test_client().get("/ui/yasgui/yasgui.min.js").status_code == 404


def test_missing_assets_over_http(live_server, tmp_path, monkeypatch):
    empty = tmp_path / "no-yasgui"
    empty.mkdir()
    monkeypatch.setenv(YASGUI_ENV, str(empty))  # the server process inherits the environment
    server = live_server()
    status, headers, html = _get(server.url + "/sparql")
    assert status == 503, html[:500]
    assert headers["Content-Type"].startswith("text/html")
    assert YASGUI_ENV in html and "yasgui.min.js" in html


# --- the page in a headless Chromium -----------------------------------------------------------------------------


@pytest.fixture
def chromium():
    """A headless Chromium (Debian's, driven by Debian's chromedriver) whose host names all fail to resolve."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # the tests may run as root, in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        # Any name but loopback fails, so a request off the host would fail (and still show in the log).
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    # An explicit driver path: Selenium Manager (which would download drivers) is never run.
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def _requested_urls(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


@needs_chromium
def test_browser_runs_a_query_and_nothing_leaves_the_host(live_server, tmp_path, chromium):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    server = live_server(store=_filled_store(tmp_path / "ui-store"))
    chromium.get(server.url + "/sparql")
    wait = WebDriverWait(chromium, 30)
    wait.until(lambda d: d.execute_script("return !!(window.agrsYasgui && window.agrsYasgui.getTab().getYasqe())"))
    assert "AGRS" in chromium.title

    query = f"SELECT ?thing ?label WHERE {{ ?thing <{RDFS_LABEL}> ?label }} ORDER BY ?thing"
    chromium.execute_script(
        "const tab = window.agrsYasgui.getTab(); tab.getYasqe().setValue(arguments[0]); tab.getYasqe().query();",
        query,
    )
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".yasr table.dataTable tbody tr")) == 2)
    table = chromium.find_element(By.CSS_SELECTOR, ".yasr table.dataTable").text
    assert KNOWN_LABEL in table and "Second thing" in table

    # The class autocompleter asks this endpoint (not LOV) for the classes the store declares.
    classes = chromium.execute_async_script(
        """const done = arguments[arguments.length - 1];
        window.agrsYasgui.getTab().getYasqe().autocompleters["agrs-class"]
          .getCompletions({string: "<http://example.org/", autocompletionString: "http://example.org/"})
          .then(done, (error) => done("error: " + error));"""
    )
    assert classes == ["http://example.org/Widget"]
    prefixes = chromium.execute_async_script(
        """const done = arguments[arguments.length - 1];
        window.agrsYasgui.getTab().getYasqe().autocompleters["agrs-prefixes"].getCompletions().then(done);"""
    )
    assert "agrs: <https://w3id.org/agrs/>" in prefixes
    enabled = chromium.execute_script("return window.agrsYasgui.getTab().getYasqe().config.autocompleters")
    assert sorted(enabled) == ["agrs-class", "agrs-prefixes", "agrs-property", "variables"]

    # A stored question opens in its own tab.
    chromium.find_element(By.CSS_SELECTOR, "#agrs-examples summary").click()
    example = chromium.find_element(By.CSS_SELECTOR, "#agrs-examples button.agrs-example")
    name = example.get_attribute("data-name")
    example.click()
    shown = chromium.execute_script(
        "return [window.agrsYasgui.getTab().getName(), window.agrsYasgui.getTab().getQuery()]"
    )
    assert shown[0] == name and "SELECT" in shown[1]

    urls = _requested_urls(chromium)
    assert any(url.startswith(server.url + "/ui/yasgui/") for url in urls), urls
    assert sum(url == server.url + "/sparql" for url in urls) >= 3, urls  # the page, the query, the completion
    for url in urls:
        parts = urlsplit(url)
        assert parts.scheme in ("data", "blob") or parts.hostname == "127.0.0.1", f"request off the host: {url}"
    problems = [entry for entry in chromium.get_log("browser") if entry["level"] == "SEVERE"]
    assert not problems, problems


def test_environment_override_is_read_per_request(monkeypatch, tmp_path):
    monkeypatch.setenv(YASGUI_ENV, str(tmp_path))
    assert yasgui_dir() == tmp_path
    monkeypatch.delenv(YASGUI_ENV)
    assert yasgui_dir().parts[-2:] == ("ui", "yasgui")
    assert not missing_assets(yasgui_dir())  # the package ships YASGUI


def test_page_links_to_the_questions_page(app, tmp_path, monkeypatch):
    """Next to the example list, a visible link leads to the stored questions' page /api/ (HTML, no browser)."""
    from html.parser import HTMLParser

    from agrs.server.ui.query_page import query_page

    assets = tmp_path / "yasgui"  # stand-in assets: the page does not depend on YASGUI's content
    assets.mkdir()
    for name in ("yasgui.min.js", "yasgui.min.css"):
        (assets / name).write_text("", encoding="utf-8")
    monkeypatch.setenv(YASGUI_ENV, str(assets))

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.order, self.links, self.href = [], [], None

        def handle_starttag(self, tag, attrs):
            attributes = dict(attrs)
            if attributes.get("id"):
                self.order.append(attributes["id"])
            if tag == "a":
                self.href = attributes.get("href")

        def handle_data(self, data):
            if self.href is not None and data.strip():
                self.links.append((self.href, data.strip()))
                self.order.append(f"link:{self.href}")
            self.href = None

    with app.test_request_context("/sparql", headers={"Accept": BROWSER_ACCEPT}):
        response = query_page()
    assert response.status_code == 200
    page = Links()
    page.feed(response.get_data(as_text=True))
    assert ("/api/", "Questions (fr/en)") in page.links
    # right after the example list, inside the page header (before the editor)
    assert page.order.index("agrs-examples") < page.order.index("link:/api/") < page.order.index("yasgui")
    assert app.test_client().get("/api/", headers={"Accept": "text/html"}).status_code == 200
