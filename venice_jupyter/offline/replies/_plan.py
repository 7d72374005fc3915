"""A validated request + its model -> a ``Plan``: every decision about the reply, made once.

Capability gates answer 400 before anything is generated, as Venice does (spec/API-NOTES.md §1.3):
``logprobs``/``top_logprobs`` need supportsLogProbs, ``tools``/``tool_choice``/
``parallel_tool_calls: true`` need supportsFunctionCalling, a non-text ``response_format`` needs
supportsResponseSchema, image/audio/video parts need vision/audio/video input and stay within
Venice's counts (``_media``), and a reasoning effort must be one the model lists.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any, Final

from venice_jupyter.offline.models import EFFORT_TOKENS, OfflineModel, SamplingSettings, tokenize
from venice_jupyter.offline.replies._media import check_media
from venice_jupyter.offline.replies._search import search
from venice_jupyter.offline.validation import (
    VENICE_PARAMETERS,
    HttpError,
    capability_error,
    detailed_error,
)

__all__ = ["Plan", "make_plan", "message_text"]

# Venice adds its own system prompt unless include_venice_system_prompt is false; it costs tokens.
VENICE_SYSTEM_PROMPT_TOKENS: Final = 48
_PER_MESSAGE_TOKENS: Final = 4
JSON_OBJECT_SCHEMA: Final = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
}
VENICE_DEFAULTS: Final = {
    "enable_e2ee": True,
    "enable_web_search": "off",
    "enable_web_citations": False,
    "enable_web_scraping": False,
    "include_venice_system_prompt": True,
    "include_search_results_in_stream": False,
    "return_search_results_as_documents": False,
    "strip_thinking_response": False,
    "disable_thinking": False,
}


@dataclass(frozen=True)
class Plan:
    model: OfflineModel
    settings: SamplingSettings
    n: int
    limit: int
    stops: tuple[str, ...]
    stop_ids: frozenset[int]
    top_logprobs: int | None  # None: logprobs off
    seed: int | None
    stream: bool
    prompt: str  # the last user message: what the reply is about
    prompt_tokens: int
    reasoning_tokens: int  # budget of the reasoning section; 0 means none
    show_reasoning: bool
    schema: dict[str, Any] | None
    tools: tuple[dict[str, Any], ...]  # function definitions to call now
    # (function name, result) of the tool messages since the last user message: what the
    # answer now reports, as a model does after its calls came back.
    tool_results: tuple[tuple[str, str], ...]
    venice: dict[str, Any]  # the effective venice_parameters, echoed back
    citations: tuple[dict[str, Any], ...]


def message_text(message: dict[str, Any]) -> str:
    """What a model reads of a message: its text parts, and the text of attached text files
    (Venice reads documents for the model; offline only plain-text kinds can be read)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_part_text(p) for p in content if isinstance(p, dict))
    return ""


# Files whose bytes are their text; PDFs, office files and EPUBs would need a parser.
_TEXT_TYPES: Final = ("text/", "application/json", "application/csv", "application/xml")
_FILE_CHARS: Final = 100_000  # what a file may add to a prompt, as a reader's budget


def _part_text(part: dict[str, Any]) -> str:
    if part.get("type") != "file":
        text = part.get("text", "")
        return text if isinstance(text, str) else ""
    file = part.get("file")
    data = file.get("file_data") if isinstance(file, dict) else None
    if not isinstance(data, str) or not data.startswith("data:"):
        return ""
    head, _, body = data.partition(",")
    mime = head[5:].split(";")[0].lower()
    if not mime.startswith(_TEXT_TYPES) or ";base64" not in head:
        return ""
    quads = body[: (_FILE_CHARS // 3 + 1) * 4]  # whole base64 quads: no padding error
    try:
        text = base64.b64decode(quads).decode("utf-8", errors="replace")
    except ValueError:
        return ""
    name = file.get("filename") if isinstance(file, dict) else None
    return f"[{name or 'file'}]\n{text[:_FILE_CHARS]}"


def _check_capabilities(body: dict[str, Any], model: OfflineModel) -> None:
    if (body.get("logprobs") or "top_logprobs" in body) and not model.logprobs:
        raise capability_error("logprobs")
    wants_tools = bool(body.get("tools")) or "tool_choice" in body
    if (wants_tools or body.get("parallel_tool_calls")) and not model.function_calling:
        raise capability_error("tools")
    response_format = body.get("response_format") or {"type": "text"}
    if response_format["type"] != "text" and not model.response_schema:
        raise capability_error("response_format")
    check_media(body, model)
    limit = body.get("max_completion_tokens")
    if isinstance(limit, int) and limit > model.max_completion_tokens:
        issue = {
            "code": "too_big",
            "maximum": model.max_completion_tokens,
            "type": "number",
            "inclusive": True,
            "exact": False,
            "path": ["max_completion_tokens"],
            "message": f"Number must be less than or equal to {model.max_completion_tokens}",
        }
        raise HttpError(400, detailed_error([issue]))


def _reasoning_budget(body: dict[str, Any], model: OfflineModel, venice: dict[str, Any]) -> int:
    if not model.reasoning:
        return 0
    reasoning = body.get("reasoning") or {}
    effort = body.get("reasoning_effort") or reasoning.get("effort") or model.default_effort
    if effort not in model.effort_options:
        options = ", ".join(model.effort_options)
        raise HttpError(
            400,
            {
                "error": f"reasoning_effort '{effort}' is not supported by this "
                f"model. Supported values: {options}"
            },
        )
    if reasoning.get("enabled") is False or venice["disable_thinking"]:
        return 0
    return EFFORT_TOKENS[str(effort)]


def _tools_to_call(body: dict[str, Any], last_user: str) -> tuple[dict[str, Any], ...]:
    functions = [t["function"] for t in body.get("tools") or () if "function" in t]
    choice = body.get("tool_choice", "auto")
    messages = body["messages"]
    if not functions or choice == "none" or messages[-1].get("role") == "tool":
        return ()
    if isinstance(choice, dict):
        name = choice["function"]["name"]
        named = [f for f in functions if f["name"] == name]
        if not named:
            raise HttpError(400, {"error": f"Tool choice function '{name}' not found in tools"})
        return tuple(named)
    text = last_user.lower()
    mentioned = [f for f in functions if _mentions(text, f["name"])]
    if not mentioned and choice == "required":
        mentioned = functions[:1]
    if not body.get("parallel_tool_calls", True):
        mentioned = mentioned[:1]
    return tuple(mentioned)


# Words of a function name that say nothing of what it is about.
_VERBS = frozenset({"get", "set", "fetch", "find", "search", "make", "run", "call", "list",
                    "show", "compute", "calculate", "lookup", "look", "tool"})  # fmt: skip


def _mentions(text: str, name: str) -> bool:
    """The prompt asks for what the function does: its name, or a telling word of it
    ("weather" in get_weather)."""
    words = name.lower().replace("-", "_").split("_")
    if name.lower() in text or " ".join(words) in text:
        return True
    return any(len(w) >= 4 and w not in _VERBS and re.search(rf"\b{w}", text) for w in words)


def _tool_results(messages: list[dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    names: dict[str, str] = {}
    results: list[tuple[str, str]] = []
    for message in messages:
        if message.get("role") == "user":
            results = []
        for call in message.get("tool_calls") or ():
            names[str(call.get("id"))] = str(call.get("function", {}).get("name", "tool"))
        if message.get("role") == "tool":
            call_id = str(message.get("tool_call_id"))
            results.append((names.get(call_id, "tool"), message_text(message)))
    return tuple(results)


def _schema(body: dict[str, Any]) -> dict[str, Any] | None:
    response_format = body.get("response_format") or {"type": "text"}
    if response_format["type"] == "json_object":
        return dict(JSON_OBJECT_SCHEMA)
    if response_format["type"] != "json_schema":
        return None
    spec = response_format["json_schema"]
    # OpenAI's shape nests the schema under "schema"; Venice's spec example puts it inline.
    inner = spec.get("schema")
    return inner if isinstance(inner, dict) else spec


def make_plan(body: dict[str, Any], model: OfflineModel, suffix: dict[str, Any]) -> Plan:
    """Raise ``HttpError`` for what Venice refuses; otherwise decide everything about the reply."""
    _check_capabilities(body, model)
    given = body.get("venice_parameters") or {}
    known = {k: v for k, v in given.items() if k in VENICE_PARAMETERS}  # Venice drops the rest
    venice = {**VENICE_DEFAULTS, **known, **suffix}
    venice.pop("enable_x_search", None)
    messages = body["messages"]
    users = [m for m in messages if m.get("role") == "user"]
    prompt = message_text(users[-1]) if users else ""
    prompt_tokens = sum(len(tokenize(message_text(m))) + _PER_MESSAGE_TOKENS for m in messages)
    if venice["include_venice_system_prompt"]:
        prompt_tokens += VENICE_SYSTEM_PROMPT_TOKENS
    if prompt_tokens > model.context_tokens:
        raise HttpError(
            400,
            {
                "error": {
                    "message": f"Your request exceeds the model's maximum context length of "
                    f"{model.context_tokens} tokens ({prompt_tokens} in the messages).",
                    "type": "invalid_request_error",
                    "param": "messages",
                    "code": "context_length_exceeded",
                }
            },
        )
    limit = body.get("max_completion_tokens")
    if limit is None:
        max_tokens = body.get("max_tokens")
        limit = max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else None
    stop = body.get("stop")
    logprobs_on = bool(body.get("logprobs"))
    settings = SamplingSettings(
        temperature=body.get("temperature", model.temperature),
        min_temp=body.get("min_temp"),
        max_temp=body.get("max_temp"),
        top_k=body.get("top_k", 0),
        top_p=body.get("top_p", model.top_p),
        min_p=body.get("min_p", 0.0),
        frequency_penalty=body.get("frequency_penalty", 0.0),
        presence_penalty=body.get("presence_penalty", 0.0),
        repetition_penalty=body.get("repetition_penalty", 1.0),
    )
    return Plan(
        model=model,
        settings=settings,
        n=body.get("n", 1),
        limit=min(limit or model.max_completion_tokens, model.max_completion_tokens),
        stops=(stop,) if isinstance(stop, str) else tuple(stop or ()),
        stop_ids=frozenset(int(t) for t in body.get("stop_token_ids") or () if t == int(t)),
        top_logprobs=body.get("top_logprobs", 0) if logprobs_on else None,
        seed=body.get("seed"),
        stream=bool(body.get("stream")),
        prompt=prompt,
        prompt_tokens=prompt_tokens,
        reasoning_tokens=_reasoning_budget(body, model, venice),
        show_reasoning=not venice["strip_thinking_response"],
        schema=_schema(body),
        tools=_tools_to_call(body, prompt),
        tool_results=_tool_results(messages),
        venice=venice,
        citations=tuple(search(prompt, venice["enable_web_search"]) if model.web_search else ()),
    )
