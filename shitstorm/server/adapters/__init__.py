"""Helpdesk and social-network adapters: one module each, one endpoint each under
``/v1/adapters/<name>``. Every adapter turns the vendor's payload into a post text (+ context),
scores and triages it with the shared helpers in ``common.py``, and answers in the vendor's terms
(tags and field values to set)."""

from __future__ import annotations

from fastapi import FastAPI

from ..config import ServerConfig

ADAPTERS = ("facebook", "zendesk", "freshdesk", "zammad")


def register_adapters(app: FastAPI, config: ServerConfig) -> None:
    from importlib import import_module

    for name in ADAPTERS:
        module = import_module(f"{__name__}.{name}")
        app.include_router(module.make_router(app, config), prefix=f"/v1/adapters/{name}",
                           tags=["adapters"])
