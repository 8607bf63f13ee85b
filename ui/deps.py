"""FastAPI dependencies: the app-scoped ``AssistantService`` that every route uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.service import AssistantService


def get_service(request: Request) -> AssistantService:
    """The service ``create_app`` built for this app (``app.state.service``)."""
    return request.app.state.service


Service = Annotated[AssistantService, Depends(get_service)]
