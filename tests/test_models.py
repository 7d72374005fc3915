"""The model catalog against Venice's real /models snapshot (spec/static-models.json)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from venice_jupyter.api import estimate_cost
from venice_jupyter.api._catalog import (
    CAPABILITY_LETTERS,
    ModelCatalog,
    ModelInfo,
    Rate,
    split_suffix,
)
from venice_jupyter.api._listing import format_price, summary_row
from venice_jupyter.errors import CapabilityError, ParameterError
from venice_jupyter.reply import Usage
from venice_jupyter.request._capabilities import check_request
from venice_jupyter.session import CAPABILITIES

SNAPSHOT = Path(__file__).parent.parent / "spec" / "static-models.json"

# The capability each parameter needs, as the session checks it (test_params pins the table).
CAPS = CAPABILITIES
TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
JSON_SCHEMA = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}

# The ModelResponse example of the OpenAPI spec (constraints are stripped from the snapshot).
SPEC_EXAMPLE: dict[str, Any] = {
    "created": 1727966436,
    "id": "llama-3.2-3b",
    "model_spec": {
        "availableContextTokens": 131072,
        "capabilities": {
            "optimizedForCode": False,
            "quantization": "fp16",
            "supportsAudioInput": False,
            "supportsFunctionCalling": True,
            "supportsLogProbs": True,
            "supportsMultipleImages": False,
            "supportsReasoning": False,
            "supportsReasoningEffort": False,
            "supportsResponseSchema": True,
            "supportsTeeAttestation": False,
            "supportsE2EE": False,
            "supportsVision": False,
            "supportsVideoInput": False,
            "supportsWebSearch": True,
            "supportsXSearch": False,
        },
        "constraints": {"temperature": {"default": 0.8}, "top_p": {"default": 0.9}},
        "description": "Compact and efficient model for quick responses and lighter workloads.",
        "name": "Llama 3.2 3B",
        "modelSource": "https://huggingface.co/meta-llama/Llama-3.2-3B",
        "offline": False,
        "privacy": "private",
        "pricing": {"input": {"usd": 0.15, "diem": 0.15}, "output": {"usd": 0.6, "diem": 0.6}},
        "traits": ["fastest"],
    },
    "object": "model",
    "owned_by": "venice.ai",
    "type": "text",
}


@pytest.fixture(scope="module")
def raw() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def catalog(raw: list[dict[str, Any]]) -> ModelCatalog:
    return ModelCatalog.from_payloads({"object": "list", "type": "all", "data": raw})


def model(catalog: ModelCatalog, name: str) -> ModelInfo:
    return catalog.resolve(name)


# --- loading ---------------------------------------------------------------------------------


def test_snapshot_counts(catalog: ModelCatalog, raw: list[dict[str, Any]]) -> None:
    assert len(catalog) == len(raw) == 328
    assert len(catalog.text_models()) == 113
    assert all(isinstance(m, ModelInfo) for m in catalog)
    assert all(m.type == "text" and m.capabilities for m in catalog.text_models())


def test_bare_list_payload_as_in_the_snapshot(raw: list[dict[str, Any]]) -> None:
    assert len(ModelCatalog.from_payloads(raw).text_models()) == 113


def test_parses_a_snapshot_entry(catalog: ModelCatalog) -> None:
    kimi = model(catalog, "kimi-k2-5")
    assert kimi.name == "Kimi K2.5"
    assert kimi.context_length == 256000
    assert kimi.max_completion_tokens is None  # the snapshot publishes no maxCompletionTokens
    assert kimi.supports("supportsLogProbs") and kimi.supports("supportsVision")
    assert not kimi.supports("supportsReasoningEffort")
    assert not kimi.supports("noSuchFlag")
    assert kimi.pricing is not None
    assert kimi.pricing.input == Rate(0.56, 0.56)
    assert kimi.pricing.cache_input == Rate(0.22, 0.22)
    assert kimi.pricing.cache_write is None and kimi.pricing.extended is None
    glm = model(catalog, "zai-org-glm-5-2")
    assert glm.reasoning_effort_options == ("none", "high", "max")
    assert glm.default_reasoning_effort == "max"
    assert glm.traits == ("default", "function_calling_default")
    assert hash(glm)  # frozen and hashable despite its dict fields


def test_flags_deprecation_beta_and_extended_pricing(catalog: ModelCatalog) -> None:
    deprecated = model(catalog, "e2ee-gemma-4-31b")
    assert deprecated.deprecation is not None
    assert deprecated.deprecation["removesAt"] == "2026-08-27T13:00:00.000Z"
    assert model(catalog, "qwen-3-8-27b").beta  # from model_spec.betaModel
    gpt = model(catalog, "openai-gpt-54-pro").pricing
    assert gpt is not None and gpt.threshold == 272000
    assert gpt.extended is not None and gpt.extended.input == Rate(75, 75)
    assert gpt.cache_input is None


def test_constraints_defaults_from_the_spec_example() -> None:
    catalog = ModelCatalog.from_payloads({"object": "list", "data": [SPEC_EXAMPLE]})
    info = catalog.resolve("llama-3.2-3b")
    assert info.defaults == {"temperature": 0.8, "top_p": 0.9}
    assert info.description.startswith("Compact")
    assert info.privacy == "private" and not info.offline and not info.beta
    assert info.context_length == 131072
    assert info.supports("supportsLogProbs")  # unlike the same id in the live snapshot
    assert catalog.resolve("fastest") is info  # a trait from model_spec.traits


def test_all_five_constraint_defaults_and_caps() -> None:
    entry = json.loads(json.dumps(SPEC_EXAMPLE))
    entry["model_spec"]["maxCompletionTokens"] = 8192
    entry["model_spec"]["constraints"].update(
        frequency_penalty={"default": 0},
        presence_penalty={"default": 0},
        repetition_penalty={"default": 1.05},
    )
    info = ModelInfo.from_json(entry)
    assert info.defaults == {
        "temperature": 0.8,
        "top_p": 0.9,
        "frequency_penalty": 0.0,
        "presence_penalty": 0.0,
        "repetition_penalty": 1.05,
    }
    assert info.max_completion_tokens == 8192


def test_tolerates_missing_and_odd_fields() -> None:
    catalog = ModelCatalog.from_payloads(
        {
            "data": [
                {"id": "bare"},
                {"id": "ctx-only", "context_length": 4096, "model_spec": {"pricing": None}},
                {"id": "img", "type": "image", "model_spec": {"pricing": {"generation": {}}}},
                {"id": "half-priced", "model_spec": {"pricing": {"input": {"usd": 1}}}},
                {"model_spec": {}},
                "garbage",
            ]
        },
        traits={"data": {"default": "bare", "ghost": "not-listed", "bad": 3}},
        mapping=None,
    )
    assert [m.id for m in catalog] == ["bare", "ctx-only", "img", "half-priced"]
    bare = catalog.resolve("bare")
    assert bare.name == "bare" and bare.capabilities == {} and bare.pricing is None
    assert bare.context_length is None and bare.defaults == {}
    assert catalog.resolve("ctx-only").context_length == 4096
    assert catalog.resolve("img").pricing is None
    assert catalog.resolve("half-priced").pricing is None
    assert catalog.traits == {"default": "bare"}  # targets not in the list are dropped
    assert ModelCatalog.from_payloads({}).text_models() == []
    assert len(ModelCatalog.from_payloads(None)) == 0


# --- resolving names -------------------------------------------------------------------------


def test_resolve_by_id_case_insensitively(catalog: ModelCatalog) -> None:
    assert model(catalog, "kimi-k2-5").id == "kimi-k2-5"
    assert model(catalog, "KIMI-K2-5").id == "kimi-k2-5"
    assert model(catalog, "wai-illustrious").id == "wai-Illustrious"  # a mixed-case image id


def test_resolve_traits_from_the_models_themselves(catalog: ModelCatalog) -> None:
    # Image models also carry "default" and "most_uncensored"; the text model must win.
    assert model(catalog, "default").id == "zai-org-glm-5-2"
    assert model(catalog, "most_uncensored").id == "venice-uncensored-1-2"
    assert model(catalog, "Most Uncensored").id == "venice-uncensored-1-2"
    assert model(catalog, "default_reasoning").id == "kimi-k3"


def test_resolve_traits_payload_wins(raw: list[dict[str, Any]]) -> None:
    traits = {
        "object": "list",
        "type": "text",
        "data": {"default": "kimi-k2-6", "fast": "mercury-2"},
    }
    catalog = ModelCatalog.from_payloads(raw, traits=traits)
    assert catalog.resolve("default").id == "kimi-k2-6"
    assert catalog.resolve("FAST").id == "mercury-2"
    assert catalog.resolve("most_uncensored").id == "venice-uncensored-1-2"


def test_resolve_compatibility_aliases(raw: list[dict[str, Any]]) -> None:
    mapping = {"object": "list", "data": {"gpt-4o": "zai-org-glm-5-1", "gpt-x": "gone-model"}}
    catalog = ModelCatalog.from_payloads(raw, mapping=mapping)
    assert catalog.resolve("GPT-4o").id == "zai-org-glm-5-1"
    assert catalog.resolve("gpt 4o").id == "zai-org-glm-5-1"
    assert catalog.aliases == {"gpt-4o": "zai-org-glm-5-1"}
    assert "gpt-x" not in catalog


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Kimi K2.5", "kimi-k2-5"),
        ("kimi_k2_5", "kimi-k2-5"),
        ("  kimi k2.5 ", "kimi-k2-5"),
        ("venice-kimi-k2-5", "kimi-k2-5"),
        ("Venice Kimi K2.5", "kimi-k2-5"),
        ("venice-uncensored-1-2", "venice-uncensored-1-2"),
        ("venice uncensored 1.2", "venice-uncensored-1-2"),
        ("llama 3.2 3b", "llama-3.2-3b"),  # ids that contain dots themselves
        ("deepseek-v3-2", "deepseek-v3.2"),
        ("zai_org_glm_4_7", "zai-org-glm-4.7"),
        ("Ox Alpha", "stealth-ox-alpha"),  # a unique display name
        ("zai-org-glm-5-1:character_slug=alan-watts", "zai-org-glm-5-1"),
        ("default:enable_web_search=on&include_venice_system_prompt=false", "zai-org-glm-5-2"),
    ],
)
def test_resolve_normalised_names(catalog: ModelCatalog, typed: str, expected: str) -> None:
    assert catalog.resolve(typed).id == expected
    assert typed in catalog


def test_split_suffix() -> None:
    assert split_suffix("default:enable_web_search=on&x=1") == (
        "default",
        "enable_web_search=on&x=1",
    )
    assert split_suffix(" kimi-k2-5 ") == ("kimi-k2-5", "")


def test_unknown_model_suggests_close_matches(catalog: ModelCatalog) -> None:
    with pytest.raises(ParameterError) as info:
        catalog.resolve("kimi-k2-9")
    err = info.value
    assert not isinstance(err, CapabilityError)
    assert err.field == "model" and err.value == "kimi-k2-9"
    match = re.search(r"Did you mean (.*?)\?", str(err))
    assert match is not None
    suggested = match.group(1).split(", ")
    assert 1 <= len(suggested) <= 3
    assert all(s in catalog and s.startswith("kimi-k") for s in suggested)
    assert "`%venice models`" in str(err)


def test_unknown_model_without_close_matches(catalog: ModelCatalog) -> None:
    with pytest.raises(ParameterError, match="%venice models") as info:
        catalog.resolve("zzzzzzzz")
    assert "Did you mean" not in str(info.value)
    assert "zzzzzzzz" not in catalog
    assert 3 not in catalog


def test_ambiguous_display_name_is_not_guessed(catalog: ModelCatalog) -> None:
    glm_52 = [m.id for m in catalog if m.name == "GLM 5.2"]
    assert len(glm_52) == 2  # zai-org-glm-5-2 and its e2ee twin share the name
    assert "GLM 5.2" not in catalog


# --- capability checks -----------------------------------------------------------------------


def check(catalog: ModelCatalog, name: str, has_images: bool = False, **params: Any) -> None:
    check_request(model(catalog, name), params, CAPS, has_images=has_images, catalog=catalog)


@pytest.mark.parametrize(
    ("lacking", "having", "params"),
    [
        ("llama-3.2-3b", "kimi-k2-5", {"logprobs": True}),
        ("llama-3.2-3b", "kimi-k2-5", {"top_logprobs": 0}),  # Venice gates any top_logprobs
        ("hermes-3-llama-3.1-405b", "llama-3.2-3b", {"tools": TOOLS}),
        ("hermes-3-llama-3.1-405b", "llama-3.2-3b", {"tool_choice": "auto"}),
        ("hermes-3-llama-3.1-405b", "llama-3.2-3b", {"parallel_tool_calls": True}),
        ("llama-3.3-70b", "kimi-k2-5", {"response_format": JSON_SCHEMA}),
        ("llama-3.3-70b", "kimi-k2-5", {"response_format": {"type": "json_object"}}),
        ("kimi-k2-5", "zai-org-glm-5-2", {"reasoning_effort": "high"}),
        ("kimi-k2-5", "zai-org-glm-5-2", {"reasoning": {"effort": "high"}}),
        ("kimi-k2-5", "grok-4-6", {"enable_x_search": True}),
    ],
)
def test_capability_errors(
    catalog: ModelCatalog, lacking: str, having: str, params: dict[str, Any]
) -> None:
    (name,) = params
    with pytest.raises(CapabilityError) as info:
        check(catalog, lacking, **params)
    err = info.value
    assert err.field == name
    assert lacking in str(err) and "`%venice models`" in str(err)
    capability = CAPS[name]
    listed = re.search(r"Try (.*) \(see `%venice models`\)", str(err))
    assert listed is not None
    alternatives = listed.group(1).split(", ")
    assert 1 <= len(alternatives) <= 3
    assert all(catalog.resolve(a).supports(capability) for a in alternatives)
    check(catalog, having, **params)  # no error where the model has it


def test_logprobs_error_message_reads_well(catalog: ModelCatalog) -> None:
    with pytest.raises(CapabilityError) as info:
        check(catalog, "llama-3.2-3b", logprobs=True)
    message = str(info.value)
    assert message == (
        "logprobs: true is not allowed; expected a model with logprobs support, which "
        "llama-3.2-3b lacks. Try gemma-4-uncensored, google-gemma-4-26b-a4b-it, "
        "google-gemma-4-31b-it (see `%venice models`), or drop logprobs."
    )


def test_capability_error_without_a_catalog(catalog: ModelCatalog) -> None:
    with pytest.raises(CapabilityError, match=r"lacks. Choose one with `%venice models`, or drop"):
        check_request(model(catalog, "llama-3.2-3b"), {"logprobs": True}, CAPS)


@pytest.mark.parametrize(
    "params",
    [
        {"logprobs": False},
        {"logprobs": None},
        {"tools": []},
        {"tool_choice": "none"},
        {"parallel_tool_calls": False},
        {"response_format": {"type": "text"}},
        {"response_format": None},
        {"enable_web_search": "off"},
        {"enable_x_search": False},
        {"reasoning": {"enabled": False}},
        {"temperature": 0.3, "unmapped": True},
    ],
)
def test_inactive_values_pass(catalog: ModelCatalog, params: dict[str, Any]) -> None:
    check(catalog, "hermes-3-llama-3.1-405b", **params)  # lacks almost everything


def test_web_search_on_and_auto_are_gated() -> None:
    no_search = ModelInfo(id="m", capabilities={"supportsWebSearch": False})
    for value in ("on", "auto", "ON"):
        with pytest.raises(CapabilityError, match="web search"):
            check_request(no_search, {"enable_web_search": value}, CAPS)
    check_request(no_search, {"enable_web_search": "off"}, CAPS)


def test_images_need_vision(catalog: ModelCatalog) -> None:
    with pytest.raises(CapabilityError, match="image input") as info:
        check(catalog, "llama-3.2-3b", has_images=True)
    assert info.value.field == "messages"
    assert str(info.value).endswith("or remove the images.")
    check(catalog, "kimi-k2-5", has_images=True)
    check(catalog, "llama-3.2-3b", has_images=False)


def test_reasoning_effort_must_be_one_of_the_options(catalog: ModelCatalog) -> None:
    check(catalog, "zai-org-glm-5-2", reasoning_effort="max")
    check(catalog, "zai-org-glm-5-2", reasoning_effort="none")
    with pytest.raises(CapabilityError, match="one of none, high, max") as info:
        check(catalog, "zai-org-glm-5-2", reasoning_effort="medium")
    assert info.value.field == "reasoning_effort"
    with pytest.raises(CapabilityError, match="one of low, medium, high") as info:
        check(catalog, "aion-labs-aion-3-0", reasoning={"effort": "none"})
    assert info.value.field == "reasoning.effort"


def test_reasoning_effort_without_published_options_is_not_value_checked() -> None:
    info = ModelInfo(id="m", capabilities={"supportsReasoningEffort": True})
    check_request(info, {"reasoning_effort": "xhigh"}, CAPS)


def test_max_tokens_cap(catalog: ModelCatalog) -> None:
    capped = dataclasses.replace(model(catalog, "kimi-k2-5"), max_completion_tokens=4096)
    check_request(capped, {"max_completion_tokens": 4096, "max_tokens": 100}, CAPS)
    for name in ("max_completion_tokens", "max_tokens"):
        with pytest.raises(ParameterError, match="at most 4096") as info:
            check_request(capped, {name: 4097}, CAPS)
        assert not isinstance(info.value, CapabilityError)
        assert info.value.field == name
    check(catalog, "kimi-k2-5", max_tokens=10**9)  # no published cap: nothing to check


def test_non_text_model_is_rejected(catalog: ModelCatalog) -> None:
    with pytest.raises(ParameterError, match="z-image-turbo is a model of type 'image'"):
        check_request(model(catalog, "z-image-turbo"), {}, CAPS)


def test_supporting_prefers_current_models(catalog: ModelCatalog) -> None:
    found = catalog.supporting("supportsXSearch")
    assert [m.id for m in found] == ["grok-4-6", "grok-4-20", "grok-4-20-multi-agent"]
    assert catalog.supporting("noSuchFlag") == []


# --- cost ------------------------------------------------------------------------------------


def test_cost_with_cached_tokens(catalog: ModelCatalog) -> None:
    # aion-labs-aion-3-0: input 3.75, cache_input 0.9375, output 7.5 USD per 1M tokens
    usage = Usage(prompt_tokens=10_000, completion_tokens=2_000, cached_tokens=4_000)
    cost = estimate_cost(usage, model(catalog, "aion-labs-aion-3-0"))
    assert cost is not None and cost.estimated
    assert cost.usd == pytest.approx((6_000 * 3.75 + 4_000 * 0.9375 + 2_000 * 7.5) / 1e6)
    assert cost.diem == pytest.approx(cost.usd)


def test_cost_cache_writes_and_extended_tier(catalog: ModelCatalog) -> None:
    info = model(catalog, "openai-gpt-56-luna-pro")
    usage = Usage(
        prompt_tokens=1_000, completion_tokens=100, cached_tokens=200, cache_creation_tokens=300
    )
    cost = estimate_cost(usage, info)
    expected = (500 * 1.25 + 200 * 0.125 + 300 * 1.5625 + 100 * 7.5) / 1e6
    assert cost is not None and cost.usd == pytest.approx(expected)
    at_threshold = estimate_cost(Usage(prompt_tokens=272_000), info)
    assert at_threshold is not None and at_threshold.usd == pytest.approx(0.272 * 1.25)
    above = estimate_cost(Usage(prompt_tokens=272_001, completion_tokens=1_000), info)
    assert above is not None
    assert above.usd == pytest.approx((272_001 * 2.5 + 1_000 * 11.25) / 1e6)


def test_cost_without_cache_price_charges_input(catalog: ModelCatalog) -> None:
    usage = Usage(prompt_tokens=1_000, cached_tokens=1_000, cache_creation_tokens=5)
    cost = estimate_cost(usage, model(catalog, "openai-gpt-54-pro"))
    assert cost is not None and cost.usd == pytest.approx(1_000 * 37.5 / 1e6)


def test_cost_counts_reasoning_once(catalog: ModelCatalog) -> None:
    info = model(catalog, "kimi-k2-5")
    inclusive = estimate_cost(Usage(completion_tokens=1_000, reasoning_tokens=600), info)
    assert inclusive is not None and inclusive.usd == pytest.approx(1_000 * 3.5 / 1e6)
    # A provider that reports reasoning outside completion_tokens is still charged for it.
    exclusive = estimate_cost(Usage(completion_tokens=100, reasoning_tokens=600), info)
    assert exclusive is not None and exclusive.usd == pytest.approx(700 * 3.5 / 1e6)


def test_cost_without_pricing_and_free_models(catalog: ModelCatalog) -> None:
    assert estimate_cost(Usage(prompt_tokens=10), ModelInfo(id="internal")) is None
    free = estimate_cost(Usage(prompt_tokens=10, completion_tokens=10), model(catalog, "ox alpha"))
    assert free is not None and free.usd == 0 and free.estimated


# --- display ---------------------------------------------------------------------------------


def test_summary_row(catalog: ModelCatalog) -> None:
    row = summary_row(model(catalog, "kimi-k2-5"))
    assert row == {
        "id": "kimi-k2-5",
        "name": "Kimi K2.5",
        "context": "256k",
        "capabilities": "F R · S V · · L W · ·",
        "input": "$0.56",
        "output": "$3.50",
        "traits": "",
        "defaults": "",
        "status": "",
    }
    assert list(CAPABILITY_LETTERS) == ["F", "R", "E", "S", "V", "A", "M", "L", "W", "X", "T"]
    glm = summary_row(model(catalog, "zai-org-glm-5-2"))
    assert glm["context"] == "1M" and glm["traits"] == "default, function_calling_default"
    assert summary_row(model(catalog, "e2ee-gemma-4-31b"))["status"].startswith("deprecated")
    assert summary_row(model(catalog, "qwen-3-8-27b"))["status"] == "beta"
    assert summary_row(ModelInfo(id="x"))["context"] == "—"


def test_format_price() -> None:
    assert format_price(None) == "—"
    assert format_price(Rate(0, 0)) == "free"
    assert format_price(Rate(0.0625, 0.0625)) == "$0.0625"
    assert format_price(Rate(225, 225)) == "$225.00"
