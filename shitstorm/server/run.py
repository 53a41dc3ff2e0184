"""``shitstorm serve``: start uvicorn with safe defaults.

Binds 127.0.0.1 unless told otherwise, and refuses any other address without a token unless
``--insecure-no-auth`` says so explicitly. Settings reach the worker processes through the
environment (``config.ENV``); the token is never printed.
"""

from __future__ import annotations

import json
import logging
import os
import sys

from ..helpdesk import is_loopback
from .config import ENV, ConfigError, ServerConfig, read_token_file

LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                            "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "shitstorm.server": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
"""uvicorn's own access log is off (it prints query strings, where Facebook's verify token
travels); ``shitstorm.server.access`` logs method, path, status and time instead. No bodies."""


WORKER_HEALTHCHECK_S = 60
"""uvicorn's supervisor restarts a worker that does not answer its health ping in time (5 s by
default). A worker spends its first seconds importing scikit-learn and loading the model, longer
on a busy machine: 60 s keeps it from being killed while it starts."""


GRACEFUL_SHUTDOWN_S = 5
"""After the drain (``app.DRAIN_TIMEOUT_S``), uvicorn gives open connections this long."""


GIL_SWITCH_INTERVAL_S = 0.001
"""How long a scoring thread may hold the GIL while the event loop waits for it (Python's default
is 5 ms). Scoring runs on threads beside the event loop; every turn of the loop (accept a
connection, read a request, answer it) waits for the GIL once, so with two threads scoring a
health check took several such waits. 1 ms keeps ``/healthz`` well within 100 ms while batches
are scored."""


APP = "shitstorm.server.run:app_from_env"
"""What uvicorn imports in every worker process: the factory below."""


def app_from_env():
    """The factory uvicorn calls in every worker process (a process of its own: the GIL switch
    interval and the frozen garbage-collector generation are set for the whole process)."""
    from .app import create_app

    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    return create_app(ServerConfig.from_env(), drain_on_signal=True, gc_freeze=True)


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, token_file: str | None = None,
          insecure_no_auth: bool = False, model_dir: str | None = None, policy: str | None = None,
          log_level: str = "info", feedback_db: str | None = None, feedback_text: str | None = None) -> None:
    import uvicorn

    if token_file:
        read_token_file(token_file)  # fail now, with a clear message, not in every worker
        os.environ[ENV["token_file"]] = token_file
    if model_dir:
        os.environ[ENV["model_dir"]] = model_dir
    if policy:
        os.environ[ENV["policy"]] = policy
    if feedback_db:
        os.environ[ENV["feedback_db"]] = feedback_db
    if feedback_text:
        os.environ[ENV["feedback_text"]] = feedback_text
    config = ServerConfig.from_env()  # validates policy, limits and adapter settings once
    if config.feedback_db:
        from .feedback import open_store

        open_store(config)  # creates the file, or fails now with a clear message
    if config.token is None and not is_loopback(host) and not insecure_no_auth:
        raise ConfigError(
            f"refusing to listen on {host} without a token: set {ENV['token']} or --token-file, "
            "or pass --insecure-no-auth if the network in front of it does the authentication")
    if workers < 1:
        raise ConfigError("--workers must be at least 1")
    logging.getLogger("shitstorm.server").info(
        "shitstorm serve on http://%s:%d, %d worker(s), auth %s, feedback %s", host, port, workers,
        "on" if config.token else "off",
        f"on ({config.feedback_db}, text {config.feedback_text})" if config.feedback_db else "off")
    log_config = json.loads(json.dumps(LOG_CONFIG))
    log_config["loggers"]["shitstorm.server"]["level"] = log_level.upper()
    from .protocol import max_header_bytes, protocol_path

    # httptools (h11 where it is missing), both with a limit on the size of a request head
    options = dict(factory=True, host=host, port=port, workers=workers, access_log=False,
                   log_config=log_config, log_level=log_level, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
                   timeout_worker_healthcheck=WORKER_HEALTHCHECK_S, server_header=False, http=protocol_path(),
                   h11_max_incomplete_event_size=max_header_bytes())
    from .workers import own_sockets_supported, run_workers_on_own_sockets

    if workers > 1 and own_sockets_supported():
        run_workers_on_own_sockets(uvicorn.Config(APP, **options))  # type: ignore[arg-type]
    else:
        uvicorn.run(APP, **options)  # type: ignore[arg-type]
