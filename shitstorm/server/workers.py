"""One listening socket per worker for ``shitstorm serve --workers N`` (Linux).

uvicorn's supervisor binds one socket and every worker accepts on it. The kernel does not spread
new connections evenly over the processes waiting there, so one worker often took all of a
client's connections (with two workers and four connections, one worker held three or four in
each of five tries, ``ss -tnp``) and scored every batch on one core while the other idled.

With ``SO_REUSEPORT`` each worker listens on a socket of its own, bound to the same address, and
the kernel hands each new connection to one of them by a hash of its addresses. uvicorn's
supervisor is kept (health checks, restarts, SIGHUP, SIGTERM): the workers it starts are only
told to bind their own socket (``OwnSocketProcess``). Before that, ``check_port_free`` refuses an
address where something listens already, so that a second ``serve`` never joins the first's
sockets silently. Elsewhere (not Linux, an unknown uvicorn) ``serve`` uses uvicorn's shared
socket as before.
"""

from __future__ import annotations

import logging
import socket
import sys

import uvicorn
from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors import multiprocess

from .config import ConfigError

log = logging.getLogger("uvicorn.error")


def own_sockets_supported() -> bool:
    """Linux (where ``SO_REUSEPORT`` spreads connections; elsewhere it does not) and a uvicorn
    whose supervisor starts its workers through ``multiprocess.Process``."""
    return (sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")
            and isinstance(getattr(multiprocess, "Process", None), type)
            and isinstance(getattr(multiprocess.Process, "server", None), property))


def reuse_port_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` in the address's ``SO_REUSEPORT`` group."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP: asyncio sets TCP_NODELAY
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def check_port_free(host: str, port: int) -> None:
    """``ConfigError`` where something listens on ``host:port`` already (another ``serve`` with
    sockets of its own would otherwise share the port, and its connections, with this one) or
    where the address cannot be bound."""
    probe_host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:
        with socket.create_connection((probe_host, port), timeout=0.5):
            pass
    except OSError:
        pass
    else:
        raise ConfigError(f"{host}:{port} is in use: something listens there already; choose another --port")
    try:
        reuse_port_socket(host, port, 1).close()
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


class OwnSocketServer(uvicorn.Server):
    """uvicorn's server, binding a ``SO_REUSEPORT`` socket of its own when given none."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if not sockets:
            try:
                sockets = [reuse_port_socket(self.config.host, self.config.port, self.config.backlog)]
            except OSError as exc:
                log.error("cannot listen on %s:%d: %s", self.config.host, self.config.port, exc.strerror or exc)
                sys.exit(STARTUP_FAILURE)  # the supervisor stops: a restart would fail the same way
        await super().startup(sockets=sockets)


class OwnSocketProcess(multiprocess.Process):
    """A worker of uvicorn's supervisor whose server binds its own listening socket."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = OwnSocketServer(config=self.config)
        return self._server


def run_workers_on_own_sockets(config: Config) -> None:
    """uvicorn's multiprocess supervisor (``config.workers`` workers), each worker on a socket of
    its own. Returns when the supervisor stops (SIGINT, SIGTERM)."""
    check_port_free(config.host, config.port)
    log.info("Uvicorn running on http://%s:%d with %d workers, each on a socket of its own (SO_REUSEPORT)",
             config.host, config.port, config.workers)
    shared = multiprocess.Process
    multiprocess.Process = OwnSocketProcess  # type: ignore[misc]  # every worker it (re)starts
    try:
        multiprocess.Multiprocess(config, sockets=[]).run()
    except KeyboardInterrupt:  # pragma: no cover - as uvicorn.run
        pass
    finally:
        multiprocess.Process = shared  # type: ignore[misc]
