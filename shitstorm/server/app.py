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

import asyncio
import contextlib
import gc
import hmac
import json
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from functools import partial
from importlib import resources
from types import FrameType
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..policy import LANGS, Context, Policy, triage
from ..schema import Score
from .config import ServerConfig
from .schemas import BatchRequest, BatchResponse, Health, ModelInfo, ScoreRequest, ScoreResponse

Lang = Literal["de", "en"]  # policy.LANGS, spelled out for FastAPI's schema (tested equal)
"""Language of the triage advice (``?lang=en``)."""

log = logging.getLogger("shitstorm.server")
access_log = logging.getLogger("shitstorm.server.access")

BODY_TIMEOUT_S = 30.0
"""A request body must arrive within 30 s of the request head (408 otherwise): 16 MB at 4 Mbit/s
fits; a client trickling bytes to hold a connection does not."""
DRAIN_TIMEOUT_S = 20.0
"""After SIGTERM (or Ctrl-C) the server stops taking requests (503) and waits at most 20 s for
the ones in flight, then exits; uvicorn gives open connections another 5 s."""
SCORING_LANES = ("posts", "batches")
"""Scoring runs on two threads, never on the event loop, so that health checks and new
connections are answered while a batch is scored: one thread for single posts (micro-batches of
``/v1/score``, helpdesk tickets), one for ``/v1/score/batch`` requests, so that a single post
never waits behind a batch of 1,000. Batches run one after the other on their thread: in one
process only one thread runs Python at a time (the GIL), and two batches scored side by side
took about a fifth more CPU time per post than the same batches in turn."""


class Drain:
    """Requests in flight, and whether the process is shutting down (then new requests get 503)."""

    def __init__(self) -> None:
        self.draining = False
        self.inflight = 0
        self.deadline = float("inf")

    def start(self, seconds: float) -> None:
        self.draining = True
        self.deadline = time.monotonic() + seconds

    def done(self) -> bool:
        return self.inflight == 0 or time.monotonic() >= self.deadline


class DrainMiddleware:
    """While draining, every request is answered 503 with ``Connection: close`` (``/healthz``
    still says the process is up); otherwise it counts the requests in flight."""

    def __init__(self, app: ASGIApp, drain: Drain):
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.drain.draining and scope["path"] != "/healthz":
            body = json.dumps({"detail": "shutting down; send the request again (to another instance)"}).encode()
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                                    (b"retry-after", b"1"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        self.drain.inflight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.drain.inflight -= 1


class BodyLimitMiddleware:
    """Refuse bodies over ``limit`` bytes with 413, by Content-Length or while streaming, and
    bodies that take longer than ``timeout`` seconds to arrive with 408."""

    def __init__(self, app: ASGIApp, limit: int, timeout: float = BODY_TIMEOUT_S):
        self.app = app
        self.limit = limit
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if _declared_length(scope) > self.limit:
            return await _too_large(send, self.limit)
        body = _LimitedBody(receive, send, self.limit, self.timeout)
        try:
            await self.app(scope, body.receive, body.send)
        except ClientDisconnect:
            # the body was refused (413, 408) or the client went away: nothing left to answer,
            # and not an error of the application
            if not body.refused:
                log.info("client disconnected before its request body was read")


def _declared_length(scope: Scope) -> int:
    """The largest ``Content-Length`` the request declares (0 when none, or not a number)."""
    declared = 0
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            with contextlib.suppress(ValueError):
                declared = max(declared, int(value))
    return declared


class _LimitedBody:
    """One request's body under the limits. ``receive`` counts the bytes and watches the
    deadline: over the limit it answers 413 (late: 408) at once and tells the application the
    client is gone, so that it stops reading; ``send`` drops what the application says after that."""

    def __init__(self, receive: Receive, send: Send, limit: int, timeout: float):
        self._receive = receive
        self._send = send
        self.limit = limit
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.seen = 0
        self.responded = False
        self.refused = False

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        try:
            # asyncio.timeout, not wait_for: no task made for every receive
            async with asyncio.timeout(max(0.0, self.deadline - time.monotonic())):
                message = await self._receive()
        except TimeoutError:
            return await self._refuse(408, f"request body not received within {self.timeout:.0f} s")
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                return await self._refuse(413, _too_large_detail(self.limit))
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # the 413 or 408 has been sent; whatever the app says now is dropped
        if message["type"] == "http.response.start":
            self.responded = True
        await self._send(message)

    async def _refuse(self, status: int, detail: str) -> Message:
        self.refused = True
        if not self.responded:  # an answer already begun cannot be replaced
            self.responded = True
            await _answer(self._send, status, detail)
        return {"type": "http.disconnect"}


def _too_large_detail(limit: int) -> str:
    return f"request body over the limit of {limit:,} bytes; send fewer or shorter posts per request"


async def _too_large(send: Send, limit: int) -> None:
    await _answer(send, 413, _too_large_detail(limit))


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class AccessLogMiddleware:
    """One line per request: method, path without query string, status, milliseconds."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
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


_FAST_LANGS = {b"": "de", **{f"lang={lang}".encode(): lang for lang in LANGS}}
"""The query strings of ``POST /v1/score`` that the fast path takes, and their language."""


class ScoreFastPath:
    """``POST /v1/score`` without FastAPI's routing, dependency solving and request objects (about
    a tenth of a single post's CPU time), for the requests FastAPI would answer 200: the token
    right (or none configured), ``lang`` absent or ``de``/``en``, ``Content-Type:
    application/json``, a JSON body that ``ScoreRequest`` accepts (``json.loads`` and
    ``ScoreRequest.model_validate``, as FastAPI does), the model loaded. Any other request, and
    every other path, goes on to FastAPI with its body replayed, which answers it as always (401,
    422, 503 …). The answer is built by the same functions as the route's, with the same headers.
    ``handle(body, lang)`` returns the encoded answer, or ``None`` for "not mine"."""

    def __init__(self, app: ASGIApp, handle: Callable[[bytes, str], Awaitable[bytes | None]],
                 token: str | None):
        self.app = app
        self.handle = handle
        # a token that is not ASCII is compared by the route (header values are Latin-1 there)
        self.usable = token is None or token.isascii()
        self.authorization = None if token is None else b"Bearer " + token.encode("ascii", "replace")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["path"] != "/v1/score" or scope["method"] != "POST"
                or not self.usable or (lang := _FAST_LANGS.get(scope.get("query_string", b""))) is None
                or not self._headers_fit(scope.get("headers", ()))):
            return await self.app(scope, receive, send)
        messages: list[Message] = []
        chunks: list[bytes] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                content = await self.handle(b"".join(chunks), lang)
                if content is not None:
                    return await _body(content)(scope, receive, send)
                break
        pending = iter(messages)

        async def replay() -> Message:
            return next(pending, None) or await receive()

        await self.app(scope, replay, send)

    def _headers_fit(self, headers: Any) -> bool:
        """The first ``Content-Type`` is ``application/json`` and the first ``Authorization``
        carries the token (when one is configured): what the route reads."""
        content_type = authorization = None
        for name, value in headers:
            if name == b"content-type" and content_type is None:
                content_type = value
            elif name == b"authorization" and authorization is None:
                authorization = value
        if content_type != b"application/json":
            return False
        if self.authorization is None:
            return True
        return authorization is not None and hmac.compare_digest(authorization, self.authorization)


MICRO_BATCH_MAX = 64
"""Single-post requests that arrive together are scored in one ``score_many`` call of at most
64 posts: the model's per-call overhead is paid once per batch instead of once per post, and a
batch of 64 takes a few milliseconds, so no request waits long behind others."""


class MicroBatcher:
    """Collects the ``/v1/score`` requests that are ready in the same turn of the event loop and
    scores them together. ``score_many`` gives the same numbers as ``score`` on each post.

    Each request brings its ``finish`` (score → response body), run on the scoring thread right
    after ``score_many``: building and encoding the answers does not hold up the event loop."""

    def __init__(self, get_model: Callable[[], Any], run: Callable[..., Awaitable[Any]]):
        self.get_model = get_model
        self.run = run  # runs a function on a scoring thread: off the event loop
        self.pending: list[tuple[str, Callable[[Score], Any], asyncio.Future[Any]]] = []
        self.running = False

    async def score(self, text: str, finish: Callable[[Score], Any] = lambda s: s) -> Any:
        """``finish(score)`` of ``text``'s score."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self.pending.append((text, finish, future))
        if not self.running:
            self.running = True
            loop.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let the requests of this turn of the loop join
        try:
            while self.pending:
                batch, self.pending = self.pending[:MICRO_BATCH_MAX], self.pending[MICRO_BATCH_MAX:]
                try:
                    outcomes = await self.run(self._score, self.get_model(), batch)
                except Exception as exc:  # handed to every waiting request, which answers it
                    outcomes = [(False, exc)] * len(batch)
                for (_, _, future), (ok, value) in zip(batch, outcomes, strict=False):
                    if future.done():
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        finally:
            self.running = False

    @staticmethod
    def _score(model: Any, batch: list[tuple[str, Callable[[Score], Any], Any]]) -> list[tuple[bool, Any]]:
        """On a scoring thread: the batch's scores, each through its request's ``finish``."""
        scores = model.score_many([text for text, _, _ in batch])
        outcomes: list[tuple[bool, Any]] = []
        for (_, finish, _), s in zip(batch, scores, strict=False):
            try:
                outcomes.append((True, finish(s)))
            except Exception as exc:  # this request's error, not its neighbours'
                outcomes.append((False, exc))
        return outcomes


def _encode(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json(data: Any, status: int = 200) -> Response:
    return _body(_encode(data), status)


def _body(content: bytes, status: int = 200) -> Response:
    """A JSON response of an already encoded body."""
    return Response(content, status_code=status, media_type="application/json")


def create_app(config: ServerConfig | None = None, model: Any = None, drain_on_signal: bool = False,
               gc_freeze: bool = False) -> FastAPI:
    """The service. ``model`` defaults to the one named by ``config.model_dir`` (or the bundled
    model), loaded at start-up; ``/readyz`` answers 503 until it is loaded. ``drain_on_signal``
    (``shitstorm serve``): SIGTERM and SIGINT first drain the requests in flight. ``gc_freeze``
    (``shitstorm serve``, a process of its own): once the model is loaded, everything alive is
    moved out of the garbage collector's sight (``gc.freeze``); see ``_lifespan``."""
    config = config or ServerConfig.from_env()
    state: dict[str, Any] = {"model": model}
    drain = Drain()
    threads = ScoringThreads()
    app = FastAPI(
        title="shitstorm",
        version=__version__,
        description="Escalation and publicity-pressure scores, personal data and triage for German "
                    "public customer posts. Send `Authorization: Bearer <token>` when the server has "
                    "a token.",
        lifespan=_lifespan(config, state, drain, threads, drain_on_signal, gc_freeze),
        docs_url=None,  # served from the package's assets, not a CDN (register_docs)
        redoc_url=None,
    )
    app.state.config = config
    app.state.shitstorm = state
    app.state.drain = drain
    app.state.run_scoring = threads.run
    app.state.run_batch_scoring = threads.run_batch
    app.state.require_token = _token_check(config)

    def current_model() -> Any:
        m = state["model"]
        if m is None:
            raise HTTPException(status_code=503, detail="model not loaded yet")
        return m

    app.state.current_model = current_model
    _register_error_handlers(app)
    batcher = MicroBatcher(current_model, threads.run)
    _register_scoring(app, config, batcher)
    _register_service(app, config, state, drain)

    from .adapters import register_adapters
    from .docs import register_docs
    from .feedback import register_feedback

    register_adapters(app, config)
    register_feedback(app, config)
    register_docs(app)
    app.add_middleware(ScoreFastPath, handle=_fast_score(config, state, batcher), token=config.token)
    app.add_middleware(BodyLimitMiddleware, limit=config.max_body_bytes, timeout=config.body_timeout_s)
    app.add_middleware(DrainMiddleware, drain=drain)
    app.add_middleware(AccessLogMiddleware)
    return app


class ScoringThreads:
    """The scoring threads of the running lifespan (``SCORING_LANES``): made on first use, shut
    down at the end of the lifespan and made anew by the next one (a test client or an ASGI host
    may start the app's lifespan more than once)."""

    def __init__(self) -> None:
        self._pools: dict[str, ThreadPoolExecutor] = {}

    def executor(self, lane: str = "posts") -> ThreadPoolExecutor:
        if lane not in self._pools:
            self._pools[lane] = ThreadPoolExecutor(1, thread_name_prefix=f"shitstorm-score-{lane}")
        return self._pools[lane]

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on the thread for single posts, awaited from the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.executor("posts"), fn, *args)

    async def run_batch(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on the thread for batches, awaited from the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.executor("batches"), fn, *args)

    def shutdown(self) -> None:
        pools, self._pools = self._pools, {}
        for pool in pools.values():
            pool.shutdown(wait=False)


def _lifespan(config: ServerConfig, state: dict[str, Any], drain: Drain, threads: ScoringThreads,
              drain_on_signal: bool, gc_freeze: bool = False) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start-up: load the model (on a scoring thread) unless one was given, freeze the objects
    alive then (``gc_freeze``), and put the drain in front of the signal handlers; shut-down:
    stop the scoring threads.

    Why freeze: the model holds a few hundred thousand objects (vocabularies, lexicons) that live
    as long as the process. Every full garbage collection walked them all, about 120 ms with the
    GIL held, during which the event loop answered nothing (not even ``/healthz``); frozen, they
    are skipped, and scoring spends less time collecting."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if state["model"] is None:
            state["model"] = await threads.run(_load_model, config)
        if gc_freeze:
            gc.collect()
            gc.freeze()
        if drain_on_signal:
            _drain_on_signals(drain, asyncio.get_running_loop())
        yield
        threads.shutdown()

    return lifespan


def _load_model(config: ServerConfig) -> Any:
    """The model named by ``config.model_dir`` (or the bundled one), with the policy's base rates."""
    from ..model import default_model, load

    rates = config.policy.base_rates if config.policy is not None else None
    rates = dict(rates) if rates else None
    return load(config.model_dir, base_rates=rates) if config.model_dir or rates else default_model()


def _token_check(config: ServerConfig) -> Callable[..., Awaitable[None]]:
    """The dependency of every ``/v1/`` endpoint: the bearer token, compared in constant time
    (nothing to check when no token is configured)."""
    bearer = HTTPBearer(auto_error=False)

    # a coroutine, not a plain function: FastAPI would run a plain one on its thread pool, a
    # thread hop on every request for a comparison of a few bytes
    async def require_token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if config.token is None:
            return
        given = credentials.credentials if credentials is not None else ""
        if not hmac.compare_digest(given.encode("utf-8"), config.token.encode("utf-8")):
            raise HTTPException(status_code=401, detail="missing or wrong bearer token",
                                headers={"WWW-Authenticate": "Bearer"})

    return require_token


def _register_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's shape ({"detail": [{"loc": [...], "msg": ...}]}), without echoing the input:
        # a post's text must not travel back into logs of proxies or clients
        errors = [NOT_JSON if e.get("type") == "json_invalid" else
                  {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's answer to a body that is not UTF-8 or nested too deeply: the same 422 as
            # for malformed JSON, so that every unreadable body gets one answer
            return JSONResponse({"detail": [NOT_JSON]}, status_code=422)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def _result(s: Score, policy: Policy | None, context: Context | None, lang: str) -> dict:
    """One post's answer: its score, its triage and its personal data (as in the score)."""
    t = triage(s, policy, context, lang=lang)
    d = s.to_dict()
    return {"score": d, "triage": t.to_dict(), "pii": d["pii"]}


def _register_scoring(app: FastAPI, config: ServerConfig, batcher: MicroBatcher) -> None:
    """``POST /v1/score`` (micro-batched with the requests that arrive together) and
    ``POST /v1/score/batch``."""
    auth = [Depends(app.state.require_token)]

    @app.post("/v1/score", response_model=ScoreResponse, dependencies=auth,
              summary="Score one post", tags=["scoring"])
    async def score_one(body: ScoreRequest, lang: Lang = "de") -> Response:
        app.state.current_model()  # 503 before the model is loaded
        return _body(await _score_request(batcher, config.policy, body, lang))

    @app.post("/v1/score/batch", response_model=BatchResponse, dependencies=auth,
              summary="Score up to 1,000 posts", tags=["scoring"])
    async def score_batch(body: BatchRequest, lang: Lang = "de") -> Response:
        m = app.state.current_model()
        posts = [(p.id, p.text, _context(p)) for p in body.posts]
        return _body(await app.state.run_batch_scoring(_batch_body, m, posts, config.policy, lang))


def _fast_score(config: ServerConfig, state: dict[str, Any],
                batcher: MicroBatcher) -> Callable[[bytes, str], Awaitable[bytes | None]]:
    """``ScoreFastPath``'s handler: what ``score_one`` does, or ``None`` where the route would
    not answer 200 (model not loaded, a body it refuses)."""

    async def handle(raw: bytes, lang: str) -> bytes | None:
        if state["model"] is None:
            return None
        try:
            body = ScoreRequest.model_validate(json.loads(raw))
        except Exception:  # not JSON, not a valid request, too deeply nested: the route answers it
            return None
        return await _score_request(batcher, config.policy, body, lang)

    return handle


def _context(body: ScoreRequest) -> Context | None:
    """The request's context for triage (``None``: none given)."""
    return Context(**body.context.model_dump()) if body.context else None


async def _score_request(batcher: MicroBatcher, policy: Policy | None, body: ScoreRequest, lang: str) -> bytes:
    """``/v1/score``'s encoded answer to ``body``: what the route and ``ScoreFastPath`` both send."""
    content: bytes = await batcher.score(body.text, partial(_one_body, policy, _context(body), lang))
    return content


def _one_body(policy: Policy | None, context: Context | None, lang: str, s: Score) -> bytes:
    """``/v1/score``'s answer, encoded (on a scoring thread)."""
    return _encode(_result(s, policy, context, lang))


def _batch_body(model: Any, posts: list[tuple[str, str, Context | None]], policy: Policy | None,
                lang: str) -> bytes:
    """``/v1/score/batch``'s answer, scored, triaged and encoded on a scoring thread: the event
    loop stays free for health checks and other requests however long the batch takes."""
    scores = model.score_many([text for _, text, _ in posts])
    return _encode({"results": [{"id": pid, **_result(s, policy, ctx, lang)}
                                for (pid, _, ctx), s in zip(posts, scores, strict=False)]})


def _register_service(app: FastAPI, config: ServerConfig, state: dict[str, Any], drain: Drain) -> None:
    """``GET /v1/model``, ``/healthz``, ``/readyz`` and the playground page ``/``."""

    @app.get("/v1/model", response_model=ModelInfo, dependencies=[Depends(app.state.require_token)],
             summary="Model version, metrics and data credits", tags=["service"])
    async def model_info() -> Response:
        info = app.state.current_model().info()
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
        if drain.draining:  # not reached through DrainMiddleware; kept for the schema's sake
            return _json({"status": "draining"}, 503)
        return _json({"status": "ok"})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def playground() -> HTMLResponse:
        return HTMLResponse(_page(feedback=bool(config.feedback_db)),
                            headers={"Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
                                     "Referrer-Policy": "no-referrer"})


NOT_JSON = {"loc": ["body"], "msg": "the body is not valid JSON (UTF-8, nested at most about 1,000 levels deep)",
            "type": "json_invalid"}
"""The one answer (422) to a body that cannot be read as JSON, on every endpoint."""


def _drain_on_signals(drain: Drain, loop: asyncio.AbstractEventLoop, seconds: float = DRAIN_TIMEOUT_S) -> None:
    """Put a drain in front of the server's own SIGTERM/SIGINT handlers (uvicorn's, installed
    before the application starts): the first signal makes new requests 503 and waits until the
    requests in flight are done (at most ``seconds``), then hands the signal on, and uvicorn
    shuts down. A second signal is handed on at once."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(signum: int, frame: FrameType | None, previous: Callable[..., Any] = previous) -> None:
            if drain.draining:
                previous(signum, frame)
                return
            log.info("%s: draining %d request(s) in flight, at most %.0f s", signal.Signals(signum).name,
                     drain.inflight, seconds)
            drain.start(seconds)
            loop.call_soon_threadsafe(loop.create_task, _hand_on(drain, previous, signum, frame))

        signal.signal(sig, handler)


async def _hand_on(drain: Drain, previous: Callable[[int, FrameType | None], Any], signum: int,
                   frame: FrameType | None) -> None:
    while not drain.done():
        await asyncio.sleep(0.05)
    previous(signum, frame)


CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "connect-src 'self'; img-src 'self' data:; form-action 'none'; base-uri 'none'")
"""The playground page may talk to this server only: nothing is fetched from outside."""


def _page(feedback: bool = False) -> str:
    """The playground; with ``feedback`` its "stimmt / stimmt nicht" control is switched on."""
    page = resources.files("shitstorm.server").joinpath("static/index.html").read_text(encoding="utf-8")
    return page.replace('<body data-feedback="off">', '<body data-feedback="on">', 1) if feedback else page
