"""The API schema's operations described by their own views (drf-spectacular's AutoSchema, settings'
DEFAULT_SCHEMA_CLASS)."""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.plumbing import get_doc


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema describing an operation only by what its own view says: the view
    class's own docstring (or its action's), never one it inherits. A base class's docstring describes
    the base (how the scope reaches the request, say), not the endpoint; an operation with nothing of its
    own to say is described by its `extend_schema(description=…)` or not at all."""

    def get_description(self) -> str:
        action_or_method = getattr(self.view, getattr(self.view, "action", self.method.lower()), None)
        view_doc = get_doc(type(self.view)) if type(self.view).__dict__.get("__doc__") else ""
        action_doc = get_doc(action_or_method) if getattr(action_or_method, "__doc__", None) else ""
        return action_doc or view_doc
