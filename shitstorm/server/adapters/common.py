"""What every adapter needs: score + triage a text with the app's model and policy."""

from __future__ import annotations

from fastapi import FastAPI

from ...policy import Context, Triage, triage
from ...schema import Score


def score_and_triage(app: FastAPI, text: str, context: Context | dict | None = None,
                     lang: str = "de") -> tuple[Score, Triage]:
    model = app.state.current_model()
    s = model.score(text)
    return s, triage(s, app.state.config.policy, context, lang=lang)


def score_and_triage_many(app: FastAPI, texts: list[str], contexts: list | None = None,
                          lang: str = "de") -> list[tuple[Score, Triage]]:
    model = app.state.current_model()
    scores = model.score_many(texts)
    contexts = contexts or [None] * len(texts)
    return [(s, triage(s, app.state.config.policy, c, lang=lang)) for s, c in zip(scores, contexts, strict=False)]
