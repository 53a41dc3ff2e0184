"""HTTP/1.1 for ``shitstorm serve``: uvicorn's h11 protocol with limits on what a client may do
before the application sees a request.

* **Header size**: h11 buffers at most ``MAX_HEADER_BYTES`` of an unfinished request head; a
  larger head is answered 400 and the connection closed (uvicorn's httptools protocol has no such
  limit, so ``serve`` always uses h11).
* **Header time**: a request head must arrive within ``HEADER_TIMEOUT_S`` seconds of the
  connection opening (or of the previous response); a client that trickles header bytes is
  disconnected. The body has its own limit in the application (``BodyLimitMiddleware``).

Both are read from the environment (``SHITSTORM_MAX_HEADER_BYTES``,
``SHITSTORM_HEADER_TIMEOUT_S``) so that every worker process uses the same values.
"""

from __future__ import annotations

import logging
import os

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


class GuardedH11Protocol(H11Protocol):
    """h11 with a deadline for each request head."""

    _header_timer = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
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
        self._header_timer = self.loop.call_later(header_timeout_s(), self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self.cycle is None or self.cycle.response_complete:
            log.info("closed a connection that sent no complete request head within %.0f s", header_timeout_s())
            self.transport.close()
