"""The URL table: every link a page or handler builds names a route that exists, with the
arguments that route needs, so a renamed endpoint fails here and not in front of a user."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask import Flask
from jinja2 import nodes

from web.routes import AREAS, register_routes

WEB = Path(__file__).resolve().parent.parent / "web"


@pytest.fixture(scope="module")
def url_map():
    """The routes alone, on a bare app (no database needed)."""
    app = Flask(__name__, template_folder=str(WEB / "templates"))
    register_routes(app)
    return app


def _needs(app: Flask, endpoint: str) -> list[set[str]]:
    """For each rule of ``endpoint``, the arguments building its URL requires."""
    return [set(rule.arguments) - set(rule.defaults or {})
            for rule in app.url_map.iter_rules(endpoint)]


def _check(app: Flask, endpoint: str, given: set[str] | None, where: str) -> str | None:
    if endpoint not in app.view_functions:
        return f"{where}: no endpoint {endpoint!r}"
    if given is not None and not any(needed <= given for needed in _needs(app, endpoint)):
        return f"{where}: {endpoint!r} needs {_needs(app, endpoint)}, given {sorted(given)}"
    return None


def _template_links(app: Flask):
    """(where, endpoint, keyword names or None when ``**args`` passes more) of every
    ``url_for('…')`` and ``pager('…')`` with a literal endpoint in the templates."""
    for path in sorted((WEB / "templates").rglob("*.html")):
        tree = app.jinja_env.parse(path.read_text(encoding="utf-8"))
        for call in tree.find_all(nodes.Call):
            if not (isinstance(call.node, nodes.Name) and call.node.name in ("url_for", "pager")
                    and call.args and isinstance(call.args[0], nodes.Const)):
                continue
            given = None if call.dyn_kwargs or call.node.name == "pager" else {
                keyword.key for keyword in call.kwargs}
            yield f"{path.relative_to(WEB)}:{call.lineno}", call.args[0].value, given


def _python_links():
    """The same for ``url_for("…")`` in web/*.py."""
    for path in sorted(WEB.glob("*.py")):
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                    and call.func.id == "url_for" and call.args
                    and isinstance(call.args[0], ast.Constant)):
                given = None if any(k.arg is None for k in call.keywords) else {
                    k.arg for k in call.keywords}
                yield f"{path.relative_to(WEB)}:{call.lineno}", call.args[0].value, given


def test_every_link_in_a_template_names_a_route_with_its_arguments(url_map):
    links = list(_template_links(url_map))
    assert len(links) > 200  # the walk finds the links (there are about 300)
    problems = [problem for where, endpoint, given in links
                if (problem := _check(url_map, endpoint, given, where))]
    assert not problems, "\n".join(problems)


def test_every_link_a_handler_builds_names_a_route_with_its_arguments(url_map):
    links = list(_python_links())
    assert len(links) > 30
    problems = [problem for where, endpoint, given in links
                if (problem := _check(url_map, endpoint, given, where))]
    assert not problems, "\n".join(problems)


def test_a_wrong_endpoint_is_caught(url_map):
    assert _check(url_map, "judging_score", {"assignment_id"}, "x")  # the old, flat name
    assert _check(url_map, "judging.score", set(), "x")  # its argument missing
    assert _check(url_map, "judging.score", {"assignment_id"}, "x") is None


def test_every_route_belongs_to_an_area_and_is_named_area_dot_name(url_map):
    endpoints = {rule.endpoint for rule in url_map.url_map.iter_rules()} - {"static"}
    assert {endpoint.split(".")[0] for endpoint in endpoints} == set(AREAS)


def _plain_app() -> Flask:
    """The same routes on Werkzeug's own rules, whose builders are compiled as the app is made."""
    app = Flask(__name__, template_folder=str(WEB / "templates"))
    register_routes(app)
    plain = Flask(__name__ + ".plain")
    plain.url_map.converters.update(app.url_map.converters)
    for rule in app.url_map.iter_rules():
        plain.add_url_rule(rule.rule, rule.endpoint, methods=rule.methods, defaults=rule.defaults)
    return plain


def _sample(converter: str, options: str):
    """A value the rule's converter accepts: a number, a path, one of any()'s words, a text."""
    if converter == "any":
        return options.split(",")[0].strip()
    return {"int": 7, "path": "a/b 臺"}.get(converter, "臺 b")


@pytest.mark.parametrize("extra", [{}, {"page": 2, "q": "長照 服務"}])
def test_every_url_is_built_as_werkzeugs_own_rules_build_it(url_map, extra):
    plain = _plain_app()
    for rule in url_map.url_map.iter_rules():
        values = {name: _sample(converter, options)
                  for converter, options, name in re.findall(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>",
                                                             rule.rule)}
        with url_map.test_request_context(), plain.test_request_context():
            ours = url_map.url_map.bind("forum.example").build(rule.endpoint, {**values, **extra})
            theirs = plain.url_map.bind("forum.example").build(rule.endpoint, {**values, **extra})
        assert ours == theirs, rule.rule
