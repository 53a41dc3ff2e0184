"""Shared fixtures: a tiny model trained in seconds on an inline German corpus."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

# (text, level, publicity_pressure): small, German, written for the tests
TINY_CORPUS = [
    ("Danke für die schnelle Hilfe, alles bestens!", "none", 0),
    ("Wann öffnet die Filiale am Samstag?", "none", 0),
    ("Super Service, gerne wieder 😊", "none", 0),
    ("Hab in der Zeitung gelesen, dass ihr neue Tarife habt. Gilt das für Bestandskunden?", "none", 0),
    ("Teilt das! Unser Hund Bruno ist entlaufen, bitte melden.", "none", 0),
    ("Gibt es die Jacke auch in Größe M?", "none", 0),
    ("Fünf Sterne von mir, freundliches Team!", "none", 0),
    ("Wie kündige ich fristgerecht zum Monatsende?", "none", 0),
    ("Mein Paket ist seit zwei Tagen unterwegs, könnt ihr mal schauen?", "low", 0),
    ("Die Rechnung ist etwas höher als erwartet, woran liegt das?", "low", 0),
    ("Der Zug hatte heute 10 Minuten Verspätung, schade.", "low", 0),
    ("Die App stürzt beim Login ab, gibt es ein Update?", "low", 0),
    ("Leider fehlt ein Teil in der Lieferung, bitte nachschicken.", "low", 0),
    ("Hotline war heute nicht erreichbar, versuche es morgen nochmal.", "low", 0),
    ("Bestellung kam beschädigt an, wie läuft die Rücksendung?", "low", 0),
    ("Kleiner Hinweis: euer Formular zeigt einen Fehler.", "low", 0),
    ("Schon wieder kein Paket!!! Zum dritten Mal diese Woche.", "elevated", 0),
    ("Danke für nichts. Seit Wochen keine Antwort auf meine Mails.", "elevated", 0),
    ("Ich kündige, nie wieder dieser Anbieter!", "elevated", 0),
    ("Hier meldet sich wenigstens jemand, per Mail ignoriert ihr mich seit einem Monat.", "elevated", 0),
    ("Doppelt abgebucht und keiner erstattet mir mein Geld. Unfassbar.", "elevated", 0),
    ("Was ist das für ein Mist, seit drei Wochen kein Internet!", "elevated", 0),
    ("Frechheit!!! Schon wieder Ausfall.", "elevated", 0),
    ("Mal wieder Zugausfall, läuft bei euch 👏", "elevated", 0),
    ("Wenn ich bis morgen nichts höre, geht das an die BILD!", "critical", 1),
    ("Ich mache das jetzt öffentlich, meine 12.000 Follower sollen wissen, wie ihr mit Kunden umgeht.", "critical", 1),
    ("Teilt diesen Beitrag, bis die reagieren! Boykottiert diesen Laden.", "critical", 1),
    ("Das Video vom kaputten Paket stelle ich heute noch auf YouTube.", "critical", 1),
    ("Mein Anwalt meldet sich bei Ihnen, das ist Betrug.", "critical", 0),
    ("Ich habe Beschwerde bei der Bundesnetzagentur eingereicht.", "critical", 0),
    ("Ihr Idioten habt meine Daten an fremde Leute geschickt!", "critical", 0),
    ("Schimmel im Brot, mein Kind musste ins Krankenhaus.", "critical", 0),
]


def write_csv(path: Path, rows, header=("text", "level", "publicity_pressure")) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="session")
def tiny_csv(tmp_path_factory) -> Path:
    return write_csv(tmp_path_factory.mktemp("data") / "tiny.csv", TINY_CORPUS * 2)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tiny_csv) -> Path:
    from shitstorm.classifier import EscalationClassifier
    from shitstorm.train.dataset import read_labelled_csv
    from shitstorm.train.fit import train_and_save

    out = tmp_path_factory.mktemp("models") / "tiny"
    clf = EscalationClassifier(max_iter=20, min_samples_leaf=5, n_folds=2)
    train_and_save(read_labelled_csv([tiny_csv]), out, seed=0, folds=2, command="pytest", classifier=clf)
    return out


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    import shitstorm

    return shitstorm.load(tiny_model_dir)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say which suites the default run leaves out and how to run them (issue #13)."""
    deselected = len(terminalreporter.stats.get("deselected", []))
    if deselected and "not slow" in (config.getoption("markexpr") or ""):
        terminalreporter.write_line(
            f"{deselected} slow tests not run (retraining, Spark, the real browser, the live "
            "server): run them with `python -m pytest -m slow` (CI does).")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test that started a real server (``item.server_log``, test_server_live.py) shows
    the server's log in its report."""
    outcome = yield
    report = outcome.get_result()
    log = getattr(item, "server_log", None)
    if report.failed and log is not None and Path(log).is_file():
        report.sections.append(("server log", Path(log).read_text(encoding="utf-8", errors="replace")))


@pytest.fixture
def fake():
    """A fake helpdesk vendor API on loopback (``tests/_fake_vendor.py``), closed after the test."""
    from ._fake_vendor import FakeVendor

    vendor = FakeVendor()
    yield vendor
    vendor.close()


@pytest.fixture
def clean_vendor_env(monkeypatch):
    """No helpdesk variable of the machine leaks into a test (``usefixtures`` in the helpdesk tests)."""
    from ._fake_vendor import clear_vendor_env

    clear_vendor_env(monkeypatch)
