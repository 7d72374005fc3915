"""The real Venice API: a tool call, logprobs, a JSON schema, an image, and the /models shape.
Cheapest model having each capability, tiny token limits. Skipped without a real key."""

from __future__ import annotations

import json

import pytest

from tests.live.helpers import SNAPSHOT, Collect, cheapest, png
from venice_jupyter.api import CAPABILITY_WORDS, ModelCatalog, VeniceClient
from venice_jupyter.request import parse_structured, response_format_for, to_data_url
from venice_jupyter.session import Session

pytestmark = pytest.mark.live

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def test_a_tool_call(client: VeniceClient, catalog: ModelCatalog) -> None:
    model = cheapest(catalog, "supportsFunctionCalling", avoid=("supportsReasoning",))
    session = Session(client)
    params = {
        "max_completion_tokens": 80,
        "tools": [WEATHER],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    }
    prepared = session.prepare(
        "What's the weather in Paris?", params=params, model=model, catalog=catalog
    )
    sink = Collect()
    reply = session.run(prepared, sink)
    [call] = reply.choices[0].tool_calls
    assert call.name == "get_weather" and call.id
    assert "paris" in json.loads(call.arguments)["city"].lower()
    assert reply.finish_reason == "tool_calls"
    assert any(d.kind == "tool_call" for d in sink.deltas)


def test_logprobs(client: VeniceClient, catalog: ModelCatalog) -> None:
    model = cheapest(catalog, "supportsLogProbs", avoid=("supportsReasoning",))
    session = Session(client)
    params = {"max_completion_tokens": 5, "logprobs": True, "top_logprobs": 2}
    prepared = session.prepare("Say hello.", params=params, model=model, catalog=catalog)
    reply = session.run(prepared, Collect())
    entries = reply.choices[0].logprobs
    assert entries, "logprobs asked for and none read"
    assert all(e.logprob <= 0 and len(e.top) <= 2 for e in entries)
    assert "".join(e.token for e in entries).strip() == reply.text.strip()


def test_a_json_schema(client: VeniceClient, catalog: ModelCatalog) -> None:
    model = cheapest(catalog, "supportsResponseSchema", avoid=("supportsReasoning",))
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    session = Session(client)
    params = {"max_completion_tokens": 40, "response_format": response_format_for(schema)}
    prepared = session.prepare("What is 2 + 3?", params=params, model=model, catalog=catalog)
    reply = session.run(prepared, Collect())
    assert parse_structured(reply.text) == {"answer": 5}


def test_an_image(client: VeniceClient, catalog: ModelCatalog) -> None:
    model = cheapest(catalog, "supportsVision", avoid=("supportsReasoning",))
    session = Session(client)
    prepared = session.prepare(
        "What single colour fills this image? Answer with one word.",
        params={"max_completion_tokens": 10},
        model=model,
        images=[to_data_url(png(64, (220, 20, 20)))],
        catalog=catalog,
    )
    reply = session.run(prepared, Collect())
    assert "red" in reply.text.lower()


def test_the_models_shape(client: VeniceClient, catalog: ModelCatalog) -> None:
    raw = client.get_json("models?type=text")
    assert raw["object"] == "list" and isinstance(raw["data"], list)
    text = catalog.text_models()
    assert len(text) >= 20 and len(text) == len(raw["data"])
    for model in text:
        assert model.context_length and model.context_length > 0, model.id
        # Every capability flag the client reads is there, as a boolean (spec: all required).
        assert all(isinstance(model.capabilities.get(f), bool) for f in CAPABILITY_WORDS), model.id
    priced = [m for m in text if m.pricing is not None and m.pricing.output.usd >= 0]
    assert len(priced) >= 0.9 * len(text)
    # The snapshot strips constraints; the live answer has per-model defaults (§1.2).
    assert sum("temperature" in m.defaults for m in text) >= 0.9 * len(text)
    default = catalog.resolve("default")
    assert default.type == "text" and catalog.traits.get("default") == default.id
    assert all(target in catalog for target in catalog.traits.values())
    still_listed = [m["id"] for m in json.loads(SNAPSHOT.read_text()) if m["id"] in catalog]
    assert still_listed, "none of the snapshot's models is listed any more"
