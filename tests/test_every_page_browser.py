"""Every page of every role (web/page_list.py), in Debian's chromium at desktop and phone width:
axe-core finds nothing, nothing scrolls sideways on a phone, and no English shows.

axe-core comes from npm (`.ci/run` installs it into tests/.axe); without it the axe checks skip.
Screenshots of the main pages land in tests/artifacts/screens/ (git-ignored) for anyone to look at.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from flask import url_for

from helpers import BROWSER, CHROMIUM, CHROMIUM_FLAGS, served
from kb.search import case_search
from seeds.demo import DEMO_PASSWORD, load_demo
from web import create_app
from kb.instance import open_instance
from web.page_list import (FILES, JUDGED_YEAR, OPEN_YEAR, PAGES, demo_samples, filled,
                           role_login)
from web.routes import AREAS

pytestmark = BROWSER

HERE = Path(__file__).parent
AXE = Path(os.environ.get("FORUM_AXE_JS") or HERE / ".axe/node_modules/axe-core/axe.min.js")
SCREENS = HERE / "artifacts" / "screens"
WIDTHS = {"desktop": 1280, "phone": 375}
# Pages screenshotted at both widths (the rest are only checked).
MAIN_PAGES = {"main.home", "cases.list", "cases.page", "main.search", "results.page",
              "speakers.registry", "cases.new", "judging.home", "judging.score", "judging.progress",
              "judging.assignments", "selection.page", "selection.stats", "programme.page"}

# ASCII words a page may show: proper names, file formats, units, the search operator OR, and
# the abbreviations the demo's case texts use (case texts are what counties wrote).
ALLOWED_WORDS = {"Kendall's", "Krippendorff's", "alpha", "Spearman", "rho", "Excel", "PDF",
                 "xlsx", "pdf", "JPEG", "PNG", "MB", "OR", "AI", "IoT", "CPR", "SOP", "SDG",
                 "SDGs", "VLR", "App", "RPA", "LINE", "SVG", "CSV", "JSON", "YouTube", "QR", "JSONL", "ESG", "Code",
                 "App2"}
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’_-]+")  # two letters up: a lone letter is no word (W, 甲 A 案)
# Data, not interface: e-mail addresses, web addresses, case identifiers (104-TPE-001).
_DATA = re.compile(r"[\w.+-]+@[\w.-]+|https?://[!-~]+|\b\d{2,3}-[A-Z]{3}-\d{3}\b|\.[a-z]{3,4}\b",
                   re.ASCII)


def english_words(text: str, logins: frozenset[str] = frozenset()) -> list[str]:
    """The ASCII-only words of ``text`` that are not allowed (data, account logins and numbers
    aside)."""
    return sorted({word for word in _WORD.findall(_DATA.sub(" ", text))
                   if word not in ALLOWED_WORDS and word not in logins})


def test_english_words_sees_english_and_lets_names_and_data_through():
    text = "評審一致性 Kendall's W：0.8；案例 104-TPE-001；下載 評分表.xlsx；a@b.tw；Submit"
    assert english_words(text) == ["Submit"]


def test_the_page_list_covers_every_get_route():
    listed = {endpoint for pages in PAGES.values() for endpoint, _ in pages}
    gets = {f"{area}.{endpoint}" for area, (_, rules) in AREAS.items()
            for _, endpoint, _, methods in rules if "GET" in methods}
    missing = gets - listed - FILES
    assert not missing, f"GET routes missing from web/page_list.py (add one line each): {missing}"
    assert not (listed | FILES) - gets, "web/page_list.py names endpoints that do not exist"


# --- the site with the demo data, served once for the module ---------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(server URL, samples): the demo years 103 (judged, published) and 104 (intake open)."""
    home = tmp_path_factory.mktemp("site") / "instance"
    db = open_instance(home)
    load_demo(years=(JUDGED_YEAR, OPEN_YEAR))
    case_search().rebuild(workers=1)
    samples = demo_samples()
    app = create_app({"TESTING": True}, home=home)
    with served(app) as address:
        yield address, samples, app
    db.close()


@pytest.fixture(scope="module")
def browser(site):
    """One chromium for the module, and one signed-in page per role, reused page after page."""
    from playwright.sync_api import sync_playwright

    server, samples, _ = site
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        pages = {}

        def page_of(role: str):
            if role not in pages:
                context = chromium.new_context(locale="zh-TW", bypass_csp=True)  # to inject axe-core
                page = context.new_page()
                login = role_login(role, samples)
                if login:
                    page.goto(f"{server}/login")
                    page.fill("#login", login)
                    page.fill("#password", DEMO_PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_url(lambda url: "/login" not in url)  # judges land on /judging/
                pages[role] = page
            return pages[role]
        yield page_of
        chromium.close()


def _url(app, server: str, endpoint: str, args: dict, samples: dict) -> str:
    """The page's address, its "{name}" arguments filled from ``samples``."""
    with app.test_request_context():
        return server + url_for(endpoint, **filled(args, samples))


VISITS = [pytest.param(role, endpoint, args, width, id=f"{role}-{endpoint}-{n}-{width}")
          for role, pages in PAGES.items() for n, (endpoint, args) in enumerate(pages)
          for width in WIDTHS]


@pytest.mark.parametrize(("role", "endpoint", "args", "width"), VISITS)
def test_every_page_is_accessible_fits_a_phone_and_speaks_chinese(site, browser, role, endpoint,
                                                                 args, width):
    server, samples, app = site
    page = browser(role)
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    response = page.goto(_url(app, server, endpoint, args, samples))
    assert response.status < 400, f"{page.url} answered {response.status}"
    found = []
    if width == "phone":
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            found.append(f"scrolls {overflow} px sideways at 375 px")
    # Text in <code> and <pre> is data shown as it is (field names, recorded changes).
    english = english_words(page.evaluate(
        "(() => { const body = document.body.cloneNode(true);"
        " body.querySelectorAll('code, pre').forEach(e => e.remove()); return body.innerText; })()"),
        samples["logins"])
    if english:
        found.append(f"English words: {english}")
    if AXE.exists():
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        found += [f"axe {v['id']} ({v['impact']}, {len(v['nodes'])} nodes): "
                  f"{v['nodes'][0]['target']} {v['nodes'][0]['failureSummary'][:200]}"
                  for v in result["violations"]]
    if endpoint in MAIN_PAGES:
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"{role}-{endpoint}-{width}.png"), full_page=True)
    assert not found, f"{page.url}:\n" + "\n".join(found)
    if not AXE.exists():
        pytest.skip(f"axe-core not installed ({AXE}); run .ci/run or npm install axe-core")
