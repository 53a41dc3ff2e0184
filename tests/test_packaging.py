"""Packaging: one version, a licence file, classifiers, no placeholder URLs, a changelog."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import shitstorm

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_is_defined_once():
    """Regression: ``pyproject.toml`` had its own copy of the version, which had fallen behind."""
    project = PYPROJECT["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "shitstorm/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+(\S*)", shitstorm.__version__)
    assert metadata.version("shitstorm") == shitstorm.__version__


def test_licence_file_and_metadata():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert "LICENSE" in PYPROJECT["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]


def test_classifiers_and_no_placeholder_urls():
    project = PYPROJECT["project"]
    classifiers = project["classifiers"]
    assert "Natural Language :: German" in classifiers
    assert not any(c.startswith("License ::") for c in classifiers)  # the licence expression says it
    minimum = project["requires-python"].removeprefix(">=")
    assert f"Programming Language :: Python :: {minimum}" in classifiers
    for url in project.get("urls", {}).values():
        assert not re.search(r"example\.(com|org)|your[-_]?(org|name)|TODO|XXX", url, re.IGNORECASE), url


def test_changelog_names_the_current_version():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(shitstorm.__version__)}\b", changelog, re.MULTILINE)


def test_readme_says_how_to_install_extras_from_a_checkout():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install '.[server]'" in readme
