"""HTTP/1.1 for ``shitstorm serve``: uvicorn's httptools protocol (the C parser, llhttp), or its
h11 protocol where httptools is not installed, with limits on what a client may do before the
application sees a request.

* **Header size**: at most ``MAX_HEADER_BYTES`` of an unfinished request head are buffered; a
  larger head is answered 400 and the connection closed (h11 counts the bytes itself; for
  httptools, which has no such limit, ``GuardedHttpToolsProtocol`` counts them).
* **Header time**: a request head must arrive within ``HEADER_TIMEOUT_S`` seconds of the
  connection opening (or of the previous response); a client that trickles header bytes is
  disconnected. The body has its own limit in the application (``BodyLimitMiddleware``).

Both are read from the environment (``SHITSTORM_MAX_HEADER_BYTES``,
``SHITSTORM_HEADER_TIMEOUT_S``) so that every worker process uses the same values; each
connection reads them once, when it opens.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_HEADER_BYTES = 64 * 1024
"""64 KB of request line and headers: a bearer token, cookies and tracing headers fit many
times over; a 128 MB header is refused after its first 64 KB."""
HEADER_TIMEOUT_S = 10.0
"""Seconds a client has to send a complete request head."""

log = logging.getLogger("shitstorm.server")


def max_header_bytes() -> int:
    return int(os.environ.get("SHITSTORM_MAX_HEADER_BYTES") or MAX_HEADER_BYTES)


def header_timeout_s() -> float:
    return float(os.environ.get("SHITSTORM_HEADER_TIMEOUT_S") or HEADER_TIMEOUT_S)


def protocol_path() -> str:
    """The protocol class ``serve`` hands to uvicorn: httptools (parses a request in C, about
    1.4 times the requests per second of h11 on ``/v1/score``) when it is installed, else h11."""
    if importlib.util.find_spec("httptools") is not None:
        return "shitstorm.server.protocol:GuardedHttpToolsProtocol"
    return "shitstorm.server.protocol:GuardedH11Protocol"


class _HeadDeadline(asyncio.Protocol):
    """A deadline for each request head: armed when a connection opens and when the next
    request's bytes start arriving, disarmed once a whole head came in (mixed into uvicorn's
    protocols, which have the attributes below)."""

    loop: asyncio.AbstractEventLoop
    cycle: Any
    transport: Any
    _header_timer: asyncio.TimerHandle | None = None
    _head_timeout_s = HEADER_TIMEOUT_S
    _max_head_bytes = MAX_HEADER_BYTES

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self._head_timeout_s, self._max_head_bytes = header_timeout_s(), max_header_bytes()
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._header_timer is None and (self.cycle is None or self.cycle.response_complete):
            self._arm()  # the next request's head starts arriving
        super().data_received(data)
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm()  # a whole request head came in

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self._head_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self.cycle is None or self.cycle.response_complete:
            log.info("closed a connection that sent no complete request head within %.0f s", self._head_timeout_s)
            self.transport.close()


class GuardedH11Protocol(_HeadDeadline, H11Protocol):
    """h11 (which limits the head's size itself, ``h11_max_incomplete_event_size``) with a
    deadline for each request head."""


if importlib.util.find_spec("httptools") is not None:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class GuardedHttpToolsProtocol(_HeadDeadline, HttpToolsProtocol):
        """httptools with a deadline for each request head and a limit on its size: the bytes
        received while a head is incomplete are counted, and past ``max_header_bytes()`` the
        request is answered 400 and the connection closed, so at most the limit plus one read
        is ever buffered for a head. The limit is the connection's (read when it opened)."""

        _in_head = True
        _head_bytes = 0

        def data_received(self, data: bytes) -> None:
            if self._in_head:
                self._head_bytes += len(data)
            super().data_received(data)
            if self._in_head and self._head_bytes > self._max_head_bytes and not self.transport.is_closing():
                log.info("refused a request head over %d bytes", self._max_head_bytes)
                self.send_400_response("Request head too large.")

        def on_headers_complete(self) -> None:
            self._in_head = False
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._in_head, self._head_bytes = True, 0  # the next request's head comes next
