"""shitstorm/server/workers.py: a listening socket per worker (SO_REUSEPORT), and the check that
refuses a port in use. The live two-worker server is in test_server_live.py (slow)."""

from __future__ import annotations

import socket
import sys

import pytest

pytest.importorskip("uvicorn", reason="the server extra is not installed")

from shitstorm.server.config import ConfigError
from shitstorm.server.workers import check_port_free, own_sockets_supported, reuse_port_socket

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT spreads connections on Linux")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@linux
def test_the_installed_uvicorn_takes_workers_on_sockets_of_their_own():
    """If uvicorn's supervisor changes, serve falls back to one shared socket: this says so."""
    assert own_sockets_supported()


@linux
def test_workers_sockets_share_one_port():
    port = _free_port()
    check_port_free("127.0.0.1", port)
    first, second = (reuse_port_socket("127.0.0.1", port, 8) for _ in range(2))
    try:
        assert first.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        assert first.getsockname() == second.getsockname() == ("127.0.0.1", port)
    finally:
        first.close()
        second.close()


@linux
@pytest.mark.parametrize("reuse_port", [False, True])
def test_a_port_where_something_listens_is_refused(reuse_port):
    """Another serve (its sockets in the SO_REUSEPORT group) would otherwise be joined silently;
    any other program holding the port could not be bound."""
    port = _free_port()
    if reuse_port:
        other = reuse_port_socket("127.0.0.1", port, 8)
    else:
        other = socket.socket()
        other.bind(("127.0.0.1", port))
        other.listen(8)
    try:
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port} is in use"):
            check_port_free("127.0.0.1", port)
    finally:
        other.close()
