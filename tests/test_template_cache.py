"""A process that starts on a folder where pages were already shown reads the compiled
templates instead of compiling them again on its first page."""
from __future__ import annotations

import pytest
from jinja2 import Environment

from web import create_app


def _refuse_compiling(monkeypatch):
    def compile_refused(self, *args, **kwargs):
        raise AssertionError("template compiled again")
    monkeypatch.setattr(Environment, "compile", compile_refused)


@pytest.mark.parametrize("path", ["/search?q=長照", "/login"])
def test_a_second_process_shows_a_page_without_compiling_its_templates(home, edition, monkeypatch,
                                                                         path):
    first = create_app({"TESTING": True}, home=home)
    assert first.test_client().get(path).status_code == 200
    later = create_app({"TESTING": True}, home=home)  # as a process started later
    _refuse_compiling(monkeypatch)
    page = later.test_client().get(path)
    assert page.status_code == 200
    assert "地方治理" in page.get_data(as_text=True)


def test_the_compiled_templates_are_private_to_the_owner(home, edition):
    create_app({"TESTING": True}, home=home).test_client().get("/login")
    cache = home / "cache" / "templates"
    assert cache.stat().st_mode & 0o077 == 0
    assert list(cache.iterdir())
    assert all(path.stat().st_mode & 0o077 == 0 for path in cache.iterdir())
