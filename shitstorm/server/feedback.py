"""``POST /v1/feedback`` and ``DELETE /v1/feedback/{id}``: agents' corrections into the SQLite file
of ``ServerConfig.feedback_db`` (``shitstorm.feedback``). Registered only when that is set.

The post is scored again here, so the record holds what this server's model says, its version
and the agent's labels. Its text is stored only with ``feedback_text="redacted"``, with personal
data replaced by placeholders; it is never logged.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, HTTPException, Path
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..feedback import FeedbackError, FeedbackStore, stored_text
from .config import ENV, ConfigError, ServerConfig
from .schemas import FeedbackOut, FeedbackRequest

log_name = "shitstorm.server"


def open_store(config: ServerConfig) -> FeedbackStore:
    if not config.feedback_db:
        raise ConfigError(f"feedback: no feedback file configured ({ENV['feedback_db']})")
    try:
        return FeedbackStore(config.feedback_db, create=True)
    except FeedbackError as exc:
        raise ConfigError(f"feedback: {exc}") from None


def register_feedback(app: FastAPI, config: ServerConfig) -> None:
    """Add the feedback endpoints when ``config.feedback_db`` is set; they use the same bearer
    token as every ``/v1/`` endpoint."""
    if not config.feedback_db:
        return
    store = open_store(config)
    auth = [Depends(app.state.require_token)]

    def unavailable(exc: FeedbackError) -> HTTPException:
        import logging

        # the message names the file and SQLite's reason, never a post text
        logging.getLogger(log_name).error("feedback store: %s", exc)
        return HTTPException(status_code=503, detail="the feedback store is not available; see the server log")

    @app.post("/v1/feedback", response_model=FeedbackOut, status_code=201, dependencies=auth,
              summary="Confirm or correct a post's level and publicity pressure", tags=["feedback"],
              responses={503: {"description": "model not loaded yet, or the feedback file is not writable"}})
    async def add_feedback(body: FeedbackRequest) -> FeedbackOut:
        from ..classifier import DECISION_THRESHOLD

        model = app.state.current_model()
        s = await run_in_threadpool(model.score, body.text)
        level = body.level if body.level is not None else s.level
        pressure = (body.publicity_pressure if body.publicity_pressure is not None
                    else s.publicity_pressure >= DECISION_THRESHOLD)
        text = stored_text(body.text, config.feedback_text)
        try:
            rec = await run_in_threadpool(
                store.add, level=level, publicity_pressure=pressure, model_level=s.level,
                model_publicity_pressure=s.publicity_pressure, model_version=s.model_version, text=text,
                source=body.source)
        except FeedbackError as exc:
            raise unavailable(exc) from None
        d = rec.to_dict()
        del d["text"]
        return FeedbackOut(**d, text_stored=rec.text is not None)

    @app.delete("/v1/feedback/{feedback_id}", status_code=204, dependencies=auth,
                summary="Delete a stored correction (e.g. on a GDPR request)", tags=["feedback"],
                responses={404: {"description": "no record with this id"}})
    async def delete_feedback(feedback_id: str = Path(..., max_length=64)) -> Response:
        try:
            deleted = await run_in_threadpool(store.delete, feedback_id)
        except FeedbackError as exc:
            raise unavailable(exc) from None
        if not deleted:
            raise HTTPException(status_code=404, detail="no feedback record with this id")
        return Response(status_code=204)
