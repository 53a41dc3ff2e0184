"""The command line's conveniences: several posts per ``score`` call, help text for every option,
an example at the end of every subcommand's help. In process, on the tiny model."""

from __future__ import annotations

import argparse
import json

import pytest

from shitstorm.cli import build_parser, main


def subcommands(parser: argparse.ArgumentParser, prefix: str = ""):
    """(name, parser) of every subcommand, nested ones too."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield prefix + name, sub
                yield from subcommands(sub, prefix + name + " ")


def test_score_takes_several_posts(tiny_model_dir, capsys):
    """Regression: ``shitstorm score "a" "b"`` joined the arguments into one post; now one JSON
    line per post."""
    posts = ["Wenn ich bis morgen nichts höre, geht das an die BILD!", "Danke für die schnelle Hilfe!"]
    assert main(["score", "--model", str(tiny_model_dir), "--with-text", *posts]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [d["text"] for d in lines] == posts
    assert lines[0]["escalation"] > lines[1]["escalation"]


def test_score_stdin_dash_must_stand_alone(tiny_model_dir, capsys):
    assert main(["score", "--model", str(tiny_model_dir), "Danke", "-"]) == 2
    assert '"-" (posts on stdin) must be the only argument' in capsys.readouterr().err


def test_every_option_has_help_text():
    missing = [f"{name} {' / '.join(a.option_strings) or a.dest}"
               for name, sub in subcommands(build_parser()) for a in sub._actions
               if not isinstance(a, argparse._SubParsersAction) and not (a.help or "").strip()]
    assert missing == []


@pytest.mark.parametrize("name", [name for name, _ in subcommands(build_parser())])
def test_every_subcommand_help_ends_with_an_example(name):
    sub = dict(subcommands(build_parser()))[name]
    text = sub.format_help().rstrip().splitlines()
    assert text[-1].strip().startswith("shitstorm " + name.split()[0]), text[-3:]
    assert any(line.startswith("example") for line in text)


def test_every_option_is_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    missing = sorted({f"{name} {o}" for name, sub in subcommands(build_parser()) for a in sub._actions
                      for o in a.option_strings if o.startswith("--") and o != "--help" and o not in readme})
    assert missing == []
