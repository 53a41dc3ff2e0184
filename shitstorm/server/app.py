"""The FastAPI application: ``create_app(config)``.

Endpoints: ``POST /v1/score``, ``POST /v1/score/batch``, ``GET /v1/model``, ``GET /healthz``,
``GET /readyz``, ``GET /`` (the playground page), the helpdesk adapters under
``/v1/adapters/…``, agents' corrections (``POST /v1/feedback``, ``DELETE /v1/feedback/{id}``,
when a feedback file is configured), and ``/openapi.json`` with
``/docs`` and ``/redoc`` (their assets served from the package: ``docs.py``).

Safe by default: bearer-token auth whenever a token is configured (constant-time comparison),
request bodies limited before they are read, text lengths and batch sizes limited by the schema,
and an access log of method, path (no query string), status and time: never a body.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from importlib import resources
from typing import Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .. import __version__
from ..policy import Context, triage
from .config import ServerConfig
from .schemas import BatchRequest, BatchResponse, Health, ModelInfo, ScoreRequest, ScoreResponse

Lang = Literal["de", "en"]
"""Language of the triage advice (``?lang=en``)."""

log = logging.getLogger("shitstorm.server")
access_log = logging.getLogger("shitstorm.server.access")


class BodyLimitMiddleware:
    """Refuse bodies over ``limit`` bytes with 413, by Content-Length or while streaming."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    return await _too_large(send, self.limit)
        seen = 0
        responded = False
        refused = False

        async def limited_receive():
            nonlocal seen, refused, responded
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # answer 413 now and tell the app the client is gone: it stops reading
                    refused = True
                    if not responded:
                        responded = True
                        await _too_large(send, self.limit)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message):
            nonlocal responded
            if refused:
                return  # the 413 has been sent; whatever the app says now is dropped
            if message["type"] == "http.response.start":
                responded = True
            await send(message)

        await self.app(scope, limited_receive, tracking_send)


async def _too_large(send, limit: int) -> None:
    body = json.dumps({"detail": f"request body over the limit of {limit:,} bytes; "
                                 "send fewer or shorter posts per request"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class AccessLogMiddleware:
    """One line per request: method, path without query string, status, milliseconds."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = 500

        async def recording_send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info("%s %s %d %.1fms", scope["method"], scope["path"], status,
                                (time.perf_counter() - start) * 1000)


MICRO_BATCH_MAX = 64
"""Single-post requests that arrive together are scored in one ``score_many`` call of at most
64 posts: the model's per-call overhead is paid once per batch instead of once per post, and a
batch of 64 takes a few milliseconds, so no request waits long behind others."""


class MicroBatcher:
    """Collects the ``/v1/score`` requests that are ready in the same turn of the event loop and
    scores them together. ``score_many`` gives the same numbers as ``score`` on each post."""

    def __init__(self, get_model):
        self.get_model = get_model
        self.pending: list = []
        self.scheduled = False

    async def score(self, text: str):
        import asyncio

        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.pending.append((text, future))
        if not self.scheduled:
            self.scheduled = True
            loop.call_soon(self._flush, loop)
        return await future

    def _flush(self, loop) -> None:
        batch, self.pending = self.pending[:MICRO_BATCH_MAX], self.pending[MICRO_BATCH_MAX:]
        if self.pending:
            loop.call_soon(self._flush, loop)
        else:
            self.scheduled = False
        try:
            scores = self.get_model().score_many([text for text, _ in batch])
        except Exception as exc:  # handed to every waiting request, which answers it
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), s in zip(batch, scores):
            if not future.done():
                future.set_result(s)


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                    status_code=status, media_type="application/json")


def create_app(config: ServerConfig | None = None, model=None) -> FastAPI:
    """The service. ``model`` defaults to the one named by ``config.model_dir`` (or the bundled
    model), loaded at start-up; ``/readyz`` answers 503 until it is loaded."""
    config = config or ServerConfig.from_env()
    state = {"model": model}

    def lifespan(app):
        import contextlib

        @contextlib.asynccontextmanager
        async def cm(app):
            if state["model"] is None:
                from ..model import default_model, load

                rates = config.policy.base_rates if config.policy is not None else None
                if config.model_dir or rates:
                    state["model"] = load(config.model_dir, base_rates=dict(rates) if rates else None)
                else:
                    state["model"] = default_model()
            yield

        return cm(app)

    app = FastAPI(
        title="shitstorm",
        version=__version__,
        description="Escalation and publicity-pressure scores, personal data and triage for German "
                    "public customer posts. Send `Authorization: Bearer <token>` when the server has "
                    "a token.",
        lifespan=lifespan,
        docs_url=None,  # served from the package's assets, not a CDN (register_docs)
        redoc_url=None,
    )
    app.state.config = config
    app.state.shitstorm = state
    bearer = HTTPBearer(auto_error=False)

    def require_token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if config.token is None:
            return
        given = credentials.credentials if credentials is not None else ""
        if not hmac.compare_digest(given.encode("utf-8"), config.token.encode("utf-8")):
            raise HTTPException(status_code=401, detail="missing or wrong bearer token",
                                headers={"WWW-Authenticate": "Bearer"})

    app.state.require_token = require_token

    def current_model():
        m = state["model"]
        if m is None:
            raise HTTPException(status_code=503, detail="model not loaded yet")
        return m

    app.state.current_model = current_model
    batcher = MicroBatcher(current_model)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        # FastAPI's shape ({"detail": [{"loc": [...], "msg": ...}]}), without echoing the input:
        # a post's text must not travel back into logs of proxies or clients
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    def result(s, context, lang) -> dict:
        t = triage(s, config.policy, context, lang=lang)
        d = s.to_dict()
        return {"score": d, "triage": t.to_dict(), "pii": d["pii"]}

    @app.post("/v1/score", response_model=ScoreResponse, dependencies=[Depends(require_token)],
              summary="Score one post", tags=["scoring"])
    async def score_one(body: ScoreRequest, lang: Lang = "de") -> Response:
        current_model()  # 503 before the model is loaded
        ctx = Context(**body.context.model_dump()) if body.context else None
        s = await batcher.score(body.text)
        return _json(result(s, ctx, lang))

    @app.post("/v1/score/batch", response_model=BatchResponse, dependencies=[Depends(require_token)],
              summary="Score up to 1,000 posts", tags=["scoring"])
    async def score_batch(body: BatchRequest, lang: Lang = "de") -> Response:
        m = current_model()
        scores = m.score_many([p.text for p in body.posts])
        out = []
        for p, s in zip(body.posts, scores):
            ctx = Context(**p.context.model_dump()) if p.context else None
            out.append({"id": p.id, **result(s, ctx, lang)})
        return _json({"results": out})

    @app.get("/v1/model", response_model=ModelInfo, dependencies=[Depends(require_token)],
             summary="Model version, metrics and data credits", tags=["service"])
    async def model_info() -> Response:
        info = current_model().info()
        return _json({"model_version": info.get("model_version", ""), "library_version": __version__,
                      "metrics": info.get("metrics", {}), "data": info.get("data", {}),
                      "credits": list(info.get("credits", []))})

    @app.get("/healthz", response_model=Health, summary="The process is up", tags=["service"])
    async def healthz() -> Response:
        return _json({"status": "ok"})

    @app.get("/readyz", response_model=Health, summary="The model is loaded", tags=["service"],
             responses={503: {"model": Health}})
    async def readyz() -> Response:
        if state["model"] is None:
            return _json({"status": "loading"}, 503)
        return _json({"status": "ok"})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def playground() -> HTMLResponse:
        return HTMLResponse(_page(feedback=bool(config.feedback_db)),
                            headers={"Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
                                     "Referrer-Policy": "no-referrer"})

    from .adapters import register_adapters

    register_adapters(app, config)

    from .feedback import register_feedback

    register_feedback(app, config)

    from .docs import register_docs

    register_docs(app)

    app.add_middleware(BodyLimitMiddleware, limit=config.max_body_bytes)
    app.add_middleware(AccessLogMiddleware)
    return app


CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "connect-src 'self'; img-src 'self' data:; form-action 'none'; base-uri 'none'")
"""The playground page may talk to this server only: nothing is fetched from outside."""


def _page(feedback: bool = False) -> str:
    """The playground; with ``feedback`` its "stimmt / stimmt nicht" control is switched on."""
    page = resources.files("shitstorm.server").joinpath("static/index.html").read_text(encoding="utf-8")
    return page.replace('<body data-feedback="off">', '<body data-feedback="on">', 1) if feedback else page
