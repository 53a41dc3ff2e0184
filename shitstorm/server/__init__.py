"""``shitstorm serve``: the HTTP service (``pip install 'shitstorm[server]'``)."""

from .app import create_app
from .config import ServerConfig

__all__ = ["ServerConfig", "create_app"]
