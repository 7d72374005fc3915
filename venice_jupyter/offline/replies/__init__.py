"""What the offline server answers: a validated request and its model become a ``Plan`` (every
decision made once), and the plan a ``Completion`` whose choices are lazy streams of events
(text sampled token by token, JSON and tool arguments from their schemas, search results)."""

from venice_jupyter.offline.replies._completion import ChoiceRun, Completion, Event
from venice_jupyter.offline.replies._generate import (
    Finish,
    LogprobEntry,
    TextDelta,
    ToolCallDelta,
)
from venice_jupyter.offline.replies._plan import Plan, make_plan, message_text
from venice_jupyter.offline.replies._schema_values import SchemaValues
from venice_jupyter.offline.replies._search import DOCUMENTS, search

__all__ = [
    "DOCUMENTS",
    "ChoiceRun",
    "Completion",
    "Event",
    "Finish",
    "LogprobEntry",
    "Plan",
    "SchemaValues",
    "TextDelta",
    "ToolCallDelta",
    "make_plan",
    "message_text",
    "search",
]
