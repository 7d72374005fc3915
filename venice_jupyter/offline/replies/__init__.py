"""What the offline server answers: a validated request and its model become a ``Plan`` (every
decision made once), and the plan a ``Completion`` whose choices are lazy streams of events
(text sampled token by token, JSON and tool arguments from their schemas, search results).
A real model's request becomes a ``LocalCompletion`` (``_local``) with the same surface."""

from venice_jupyter.offline.replies._completion import ChoiceRun, Completion, Event
from venice_jupyter.offline.replies._generate import (
    Finish,
    LogprobEntry,
    TextDelta,
    ToolCallDelta,
)
from venice_jupyter.offline.replies._local import (
    AnyCompletion,
    Generation,
    LocalCompletion,
    generation,
)
from venice_jupyter.offline.replies._plan import Plan, make_plan, message_text
from venice_jupyter.offline.replies._schema_values import SchemaValues
from venice_jupyter.offline.replies._search import DOCUMENTS, search

__all__ = [
    "DOCUMENTS",
    "AnyCompletion",
    "ChoiceRun",
    "Completion",
    "Event",
    "Finish",
    "Generation",
    "LocalCompletion",
    "LogprobEntry",
    "Plan",
    "SchemaValues",
    "TextDelta",
    "ToolCallDelta",
    "generation",
    "make_plan",
    "message_text",
    "search",
]
