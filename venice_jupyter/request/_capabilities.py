"""Local checks of a request against the model's capabilities.

Venice would answer 400 for a capability mismatch anyway, but later and less helpfully; here
the message names the parameter, the model and models that would work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from venice_jupyter.errors import CapabilityError, ParameterError
from venice_jupyter.request._limits import OPTIONS, words

if TYPE_CHECKING:
    from venice_jupyter.api import ModelCatalog, ModelInfo

__all__ = ["PART_CAPABILITIES", "check_request"]

# Which model flag each kind of content part needs (files have no gate: Venice extracts them
# to text before the model sees them).
PART_CAPABILITIES = {
    "image_url": "supportsVision",
    "input_audio": "supportsAudioInput",
    "video_url": "supportsVideoInput",
}
_REMOVE = {"image_url": "the images", "input_audio": "the audio", "video_url": "the videos"}


def _active(name: str, value: Any) -> bool:
    """Whether a set value actually asks for the gated feature (mirrors Venice's 400 gates)."""
    if value is None:
        return False
    if name == "response_format":
        kind = value.get("type") if isinstance(value, Mapping) else value
        return bool(value) and bool(kind != "text")
    if name == "enable_web_search":
        return isinstance(value, str) and value.lower() in ("on", "auto")
    if name == "tool_choice":
        return bool(value != "none")
    if name == "reasoning":
        # {"enabled": false} only switches thinking off; only an effort needs the capability.
        return isinstance(value, Mapping) and value.get("effort") is not None
    if name in ("reasoning_effort", "top_logprobs"):
        return True  # Venice gates any top_logprobs, even 0
    return bool(value)


def _effort(params: Mapping[str, Any]) -> tuple[str, Any] | None:
    if params.get("reasoning_effort") is not None:
        return "reasoning_effort", params["reasoning_effort"]
    reasoning = params.get("reasoning")
    if isinstance(reasoning, Mapping) and reasoning.get("effort") is not None:
        return "reasoning.effort", reasoning["effort"]
    return None


def check_request(
    model: ModelInfo,
    params: Mapping[str, Any],
    capabilities: Mapping[str, str],
    *,
    has_images: bool = False,
    parts: Mapping[str, int] | None = None,
    catalog: ModelCatalog | None = None,
) -> None:
    """Raise before sending what Venice would reject for ``model``.

    ``params`` holds the set request parameters by name, ``capabilities`` maps a parameter
    name to the capability flag it needs; ``parts`` counts the new user message's content parts
    by type (``has_images`` is the older way to say it has images); ``catalog`` lets the error
    name models that have what is missing.
    """
    # Imported here: the request layer loads without the transport (``%load_ext`` stays quick).
    from venice_jupyter.api import CAPABILITY_WORDS, MODELS_HINT

    if model.type != "text":
        hint = f"{model.id} is a model of type {model.type!r}, not a chat model. {MODELS_HINT}"
        raise ParameterError("model", model.id, "a text model", hint=hint)
    needed = [
        (n, v, capabilities[n]) for n, v in params.items() if n in capabilities and _active(n, v)
    ]
    counts = dict(parts or {})
    if has_images:
        counts.setdefault("image_url", 1)
    needed += [("messages", k, c) for k, c in PART_CAPABILITIES.items() if counts.get(k)]
    for name, value, capability in needed:
        if model.lacks(capability):
            label = CAPABILITY_WORDS.get(capability, capability)
            others = [m.id for m in catalog.supporting(capability)] if catalog else []
            hint = f"Try {', '.join(others)} (see " if others else "Choose one with "
            hint += "`%venice models`" + (")" if others else "")
            hint += f", or drop {name}." if name != "messages" else f", or remove {_REMOVE[value]}."
            allowed = f"a model with {label} support, which {model.id} lacks"
            raise CapabilityError(name, value, allowed, hint=hint)
    _check_counts(model, counts)
    effort = _effort(params)
    options = model.reasoning_effort_options
    if effort is not None and options and effort[1] not in options:
        allowed = f"one of {', '.join(options)} for {model.id}"
        hint = "Venice does not round to the nearest supported level."
        raise CapabilityError(effort[0], effort[1], allowed, hint=hint)
    cap = model.max_completion_tokens
    for name in ("max_completion_tokens", "max_tokens"):
        value = params.get(name)
        if cap is not None and isinstance(value, int) and value > cap:
            raise ParameterError(name, value, f"at most {cap}, the output cap of {model.id}")


def _check_counts(model: ModelInfo, counts: Mapping[str, int]) -> None:
    """The model's own caps: ``maxImages``, one image only without supportsMultipleImages,
    ``maxVideos``."""
    caps = model.capabilities
    for kind, flag in (("image_url", "maxImages"), ("video_url", "maxVideos")):
        limit, n = caps.get(flag), counts.get(kind, 0)
        if isinstance(limit, int) and not isinstance(limit, bool) and n > limit:
            raise CapabilityError(
                OPTIONS[kind], words(kind, n), f"at most {words(kind, limit)} for {model.id}",
                hint=f"Its {flag} is {limit}; send fewer or choose another model.",
            )  # fmt: skip
    if counts.get("image_url", 0) > 1 and model.lacks("supportsMultipleImages"):
        raise CapabilityError(
            "--image", words("image_url", counts["image_url"]), f"one image for {model.id}",
            hint="It reads one image per message (supportsMultipleImages is false).",
        )  # fmt: skip
