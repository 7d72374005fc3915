"""OfflineServer over real HTTP on loopback: wire shapes, endpoints, errors, auth, headers,
keep-alive, concurrency and shutdown. Responses are checked against Venice's OpenAPI spec."""

from __future__ import annotations

import gzip
import json
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from tests.sse_events import parse_sse
from venice_jupyter.offline import Fault, OfflineServer

SPEC = Path(__file__).parents[1] / "spec" / "venice-openapi.yaml"
PROMPT = [{"role": "user", "content": "How do notebook kernels and cells work in Jupyter?"}]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML 1.2 booleans: the spec's enum values ``on``/``off`` must stay strings."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


@cache
def spec() -> dict[str, Any]:
    with SPEC.open() as f:
        loaded: dict[str, Any] = yaml.load(f, Loader=_Loader)
        return loaded


def validator(schema: dict[str, Any]) -> OAS30Validator:
    return OAS30Validator({**schema, "components": spec()["components"]})


def assert_valid(schema: dict[str, Any], instance: Any) -> None:
    errors = [e.message for e in validator(schema).iter_errors(instance)]
    assert not errors, errors


def chat_response_schema() -> dict[str, Any]:
    post = spec()["paths"]["/chat/completions"]["post"]
    schema: dict[str, Any] = post["responses"]["200"]["content"]["application/json"]["schema"]
    return schema


def chat(http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post(
        "/chat/completions", json={"model": "venice-offline", "messages": PROMPT, **body}
    )


def stream(http: httpx.Client, **body: Any) -> tuple[httpx.Response, list[Any]]:
    response = chat(http, stream=True, **body)
    return response, parse_sse(response.content)


# --- streaming and bodies --------------------------------------------------------------------


def test_stream_shape(http: httpx.Client) -> None:
    response, events = stream(http, max_tokens=30, seed=11)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["transfer-encoding"] == "chunked"
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert len({c["id"] for c in chunks}) == 1 and chunks[0]["id"].startswith("chatcmpl-")
    assert all(
        c["object"] == "chat.completion.chunk"
        and c["model"] == "venice-offline"
        and isinstance(c["created"], int)
        for c in chunks
    )
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    content = [c for c in chunks if c["choices"] and "content" in c["choices"][0]["delta"]]
    assert len(content) == 31  # the role chunk + one chunk per token
    finish = chunks[-2]["choices"][0]
    assert finish["finish_reason"] == "length" and finish["stop_reason"] == "length"
    usage_chunk = chunks[-1]
    assert usage_chunk["choices"] == []
    usage = usage_chunk["usage"]
    assert usage["completion_tokens"] == 30
    assert usage["total_tokens"] == usage["prompt_tokens"] + 30
    assert usage["prompt_tokens_details"] == {"cached_tokens": 0}
    assert usage["completion_tokens_details"] == {"reasoning_tokens": 0}
    assert usage_chunk["cost"]["usd"] > 0 and usage_chunk["cost"]["diem"] == 0
    text = "".join(c["choices"][0]["delta"]["content"] for c in content)
    whole = chat(http, max_tokens=30, seed=11).json()
    assert whole["choices"][0]["message"]["content"] == text


def test_usage_chunk_sent_without_stream_options(http: httpx.Client) -> None:
    _, events = stream(http, max_tokens=3, stream_options={"include_usage": False})
    assert "usage" in events[-2]


def test_body_matches_spec(http: httpx.Client) -> None:
    response = chat(http, max_tokens=20, seed=3)
    body = response.json()
    assert_valid(chat_response_schema(), body)
    assert body["object"] == "chat.completion"
    assert body["venice_parameters"]["web_search_citations"] == []
    assert body["choices"][0]["message"]["reasoning_content"] is None
    assert body["cost"]["usd"] > 0


def test_gzip_and_brotli(http: httpx.Client) -> None:
    raw = http.post(
        "/chat/completions",
        json={"model": "venice-offline", "messages": PROMPT, "max_tokens": 5},
        headers={"Accept-Encoding": "gzip"},
    )
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.json()["object"] == "chat.completion"  # httpx decoded it
    with http.stream(
        "POST",
        "/chat/completions",
        headers={"Accept-Encoding": "gzip"},
        json={"model": "venice-offline", "messages": PROMPT, "max_tokens": 5},
    ) as r:
        assert json.loads(gzip.decompress(b"".join(r.iter_raw())))["object"] == "chat.completion"
    br = http.post(
        "/chat/completions",
        headers={"Accept-Encoding": "br"},
        json={"model": "venice-offline", "messages": PROMPT, "max_tokens": 5},
    )
    assert br.headers["content-encoding"] == "br" and br.json()["choices"]
    plain = http.post(
        "/chat/completions",
        headers={"Accept-Encoding": "identity"},
        json={"model": "venice-offline", "messages": PROMPT, "max_tokens": 5},
    )
    assert "content-encoding" not in plain.headers
    streamed = chat(http, stream=True, max_tokens=3)
    assert "content-encoding" not in streamed.headers  # only applied when stream is false


# --- headers ---------------------------------------------------------------------------------


def test_chat_headers(http: httpx.Client) -> None:
    first = chat(http, max_tokens=5)
    second = chat(http, max_tokens=5, stream=True)
    for r in (first, second):
        for name in (
            "cf-ray",
            "x-venice-version",
            "x-ratelimit-limit-requests",
            "x-ratelimit-reset-requests",
            "x-ratelimit-limit-tokens",
            "x-ratelimit-remaining-tokens",
            "x-ratelimit-reset-tokens",
        ):
            assert r.headers[name]
        assert r.headers["x-venice-model-id"] == "venice-offline"
        assert r.headers["x-venice-model-name"] == "Venice Offline"
        assert "x-venice-model-deprecation-warning" not in r.headers
    assert first.headers["cf-ray"] != second.headers["cf-ray"]
    remaining = [int(r.headers["x-ratelimit-remaining-requests"]) for r in (first, second)]
    assert remaining[1] == remaining[0] - 1
    assert float(second.headers["x-venice-balance-usd"]) < float(
        first.headers["x-venice-balance-usd"]
    )
    assert int(second.headers["x-ratelimit-reset-requests"]) > time.time()


def test_deprecated_model_headers(http: httpx.Client) -> None:
    r = chat(http, model="venice-offline-legacy", max_tokens=3)
    assert r.status_code == 200
    assert "deprecated" in r.headers["x-venice-model-deprecation-warning"]
    assert r.headers["x-venice-model-deprecation-date"].startswith("2027-")


def test_rate_limit_and_balance() -> None:
    with (
        OfflineServer(requests_per_minute=2, balance_usd=1e-9) as small,
        httpx.Client(base_url=small.base_url) as c,
    ):
        assert chat(c, max_tokens=2).status_code == 200
        spent = chat(c, max_tokens=2)
        assert spent.status_code == 402
        assert spent.json()["error"].startswith("Insufficient USD or Diem balance")
    with (
        OfflineServer(requests_per_minute=1) as limited,
        httpx.Client(base_url=limited.base_url) as c,
    ):
        assert chat(c, max_tokens=2).status_code == 200
        refused = chat(c, max_tokens=2)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["x-ratelimit-remaining-requests"] == "0"


# --- models endpoints ------------------------------------------------------------------------


def test_models_listing(http: httpx.Client) -> None:
    listing = http.get("/models").json()
    assert listing["object"] == "list" and listing["type"] == "text"
    models = {m["id"]: m for m in listing["data"]}
    assert set(models) >= {"venice-offline", "venice-offline-small", "venice-offline-reasoning"}
    model_schema = spec()["components"]["schemas"]["ModelResponse"]
    required_caps = set(
        model_schema["properties"]["model_spec"]["properties"]["capabilities"]["required"]
    )
    for entry in listing["data"]:
        assert_valid(model_schema, entry)
        spec_ = entry["model_spec"]
        assert set(spec_["capabilities"]) >= required_caps
        assert spec_["pricing"]["input"]["usd"] > 0 and spec_["pricing"]["output"]["usd"] > 0
        assert entry["context_length"] == spec_["availableContextTokens"]
        assert spec_["offline"] is False and spec_["constraints"]["temperature"]["default"]
    caps = {k: m["model_spec"]["capabilities"] for k, m in models.items()}
    assert (
        caps["venice-offline"]["supportsLogProbs"]
        and not caps["venice-offline"]["supportsReasoning"]
    )
    assert caps["venice-offline-reasoning"]["supportsReasoningEffort"]
    assert caps["venice-offline-reasoning"]["reasoningEffortOptions"]
    small = caps["venice-offline-small"]
    assert not (
        small["supportsLogProbs"]
        or small["supportsFunctionCalling"]
        or small["supportsResponseSchema"]
    )
    assert models["venice-offline-legacy"]["model_spec"]["deprecation"]["replacementModelId"]
    assert http.get("/models", params={"type": "all"}).json()["data"]
    assert [m["id"] for m in http.get("/models?type=code").json()["data"]] == ["venice-offline"]
    assert http.get("/models?type=image").json()["data"] == []
    assert http.get("/models?type=bogus").status_code == 400


def test_traits_and_compatibility(http: httpx.Client) -> None:
    traits = http.get("/models/traits").json()
    assert traits["object"] == "list" and traits["data"]["default"] == "venice-offline"
    mapping = http.get("/models/compatibility_mapping").json()["data"]
    assert mapping["gpt-4o"] == "venice-offline"
    for name, expected in [
        ("default", "venice-offline"),
        ("gpt-4o-mini", "venice-offline-small"),
        ("Venice_Offline.Reasoning", "venice-offline-reasoning"),
        ("offline-small", "venice-offline-small"),
    ]:
        r = chat(http, model=name, max_tokens=2)
        assert r.status_code == 200 and r.json()["model"] == expected, name


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"model": "nope"}, 404, "Specified model not found: nope"),
        ({"thinking": {"type": "enabled"}}, 400, "Invalid request parameters"),
        ({"max_completion_tokens": None}, 400, "Invalid request parameters"),
        ({"temperature": 9}, 400, "Invalid request parameters"),
        (
            {"model": "venice-offline-small", "logprobs": True},
            400,
            "logprobs is not supported by this model",
        ),
        (
            {
                "model": "venice-offline-small",
                "tools": [{"type": "function", "function": {"name": "f"}}],
            },
            400,
            "tools is not supported by this model",
        ),
        (
            {"model": "venice-offline-small", "response_format": {"type": "json_object"}},
            400,
            "response_format is not supported by this model",
        ),
        (
            {
                "model": "venice-offline-small",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
                        ],
                    }
                ],
            },
            400,
            "image_url is not supported by this model",
        ),
        ({"max_completion_tokens": 10**6}, 400, "Invalid request parameters"),
        (
            {"model": "venice-offline-reasoning", "reasoning_effort": "xhigh"},
            400,
            "reasoning_effort 'xhigh' is not supported by this model. Supported values: none, "
            "low, medium, high",
        ),
    ],
)
def test_request_errors(http: httpx.Client, body: dict[str, Any], status: int, error: str) -> None:
    r = chat(http, **body)
    assert r.status_code == status
    payload = r.json()
    assert payload["error"] == error
    if error == "Invalid request parameters":
        assert_valid(spec()["components"]["schemas"]["DetailedError"], payload)
        assert payload["issues"] and "_errors" in payload["details"]


def test_invalid_json_content_type_and_context(http: httpx.Client) -> None:
    bad = http.post(
        "/chat/completions", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert (bad.status_code, bad.json()) == (400, {"error": "Invalid JSON request"})
    text = http.post("/chat/completions", content=b"{}", headers={"Content-Type": "text/plain"})
    assert text.json() == {"error": "'Content-Type' must be 'application/json'"}
    huge = chat(http, messages=[{"role": "user", "content": "word " * 40_000}])
    assert huge.status_code == 400
    assert huge.json()["error"]["code"] == "context_length_exceeded"
    assert http.get("/nowhere").status_code == 404


def test_auth() -> None:
    with OfflineServer(api_key="sekret") as locked, httpx.Client(base_url=locked.base_url) as c:
        missing = chat(c, max_tokens=2)
        assert missing.status_code == 402 and missing.json()["x402Version"] == 2
        wrong = (
            chat(
                c,
                max_tokens=2,
            )
            if False
            else c.post(
                "/chat/completions",
                headers={"Authorization": "Bearer nope"},
                json={"model": "venice-offline", "messages": PROMPT},
            )
        )
        assert (wrong.status_code, wrong.json()) == (401, {"error": "Authentication failed"})
        ok = c.post(
            "/chat/completions",
            headers={"Authorization": "Bearer sekret"},
            json={"model": "venice-offline", "messages": PROMPT, "max_tokens": 2},
        )
        assert ok.status_code == 200
        assert c.get("/models").status_code == 200  # listing needs no key
        assert len(locked.requests) == 3  # every parsed body is recorded


def test_recorded_requests_match_the_request_schema(
    lenient_server: OfflineServer, http: httpx.Client
) -> None:
    http.delete("/_offline/requests")
    bodies = [
        {"max_tokens": 2, "stop": None, "venice_parameters": {"enable_web_search": "auto"}},
        {
            "max_completion_tokens": 2,
            "logprobs": True,
            "top_logprobs": 2,
            "seed": 5,
            "n": 2,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    ]
    for body in bodies:
        assert chat(http, **body).status_code == 200
    recorded = http.get("/_offline/requests").json()["data"]
    assert recorded == lenient_server.requests[-2:] and len(recorded) == 2
    request_schema = {"$ref": "#/components/schemas/ChatCompletionRequest"}
    for body in recorded:
        assert_valid(request_schema, body)


# --- connections -----------------------------------------------------------------------------


def test_keep_alive_serves_several_requests_on_one_socket(lenient_server: OfflineServer) -> None:
    payload = json.dumps(
        {"model": "venice-offline", "messages": PROMPT, "max_tokens": 3, "stream": True}
    ).encode()
    request = (
        b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload)
    )
    with socket.create_connection((lenient_server.host, lenient_server.port), timeout=5) as sock:
        for _ in range(2):
            sock.sendall(request)
            data = b""
            while not data.endswith(b"0\r\n\r\n"):
                data += sock.recv(65536)
            assert data.startswith(b"HTTP/1.1 200") and b"data: [DONE]" in data


def test_64_simultaneous_streams() -> None:
    """64 streams (10 tokens, 0.2 s apart) are served at once: each reads its first event, then
    waits at a barrier until all 64 have one. Served one at a time, the 64th would start after
    two minutes and the barrier would break."""
    barrier = threading.Barrier(64, timeout=60)
    with OfflineServer() as local:
        local.inject(Fault("delay", seconds=0.2, times=64))
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        with httpx.Client(base_url=local.base_url, timeout=90, limits=limits) as shared:

            def one(i: int) -> list[Any]:
                body = {"model": "venice-offline", "messages": PROMPT, "stream": True,
                        "max_tokens": 10, "seed": i + 1}  # fmt: skip
                with shared.stream("POST", "/chat/completions", json=body) as response:
                    chunks = response.iter_bytes()
                    first = next(chunks)
                    barrier.wait()
                    return parse_sse(first + b"".join(chunks))

            with ThreadPoolExecutor(64) as pool:
                results = list(pool.map(one, range(64)))
    assert all(
        events[-1] == "[DONE]" and events[-2]["usage"]["completion_tokens"] <= 10
        for events in results
    )


def test_stop_ends_hanging_requests_promptly() -> None:
    local = OfflineServer().start()
    local.inject(Fault("hang"))  # it waits for the server to stop: only stop() can end it
    errors: list[BaseException] = []

    def hang() -> None:
        try:
            httpx.post(
                f"{local.base_url}/chat/completions",
                timeout=30,
                json={"model": "venice-offline", "messages": PROMPT},
            )
        except httpx.HTTPError as exc:
            errors.append(exc)

    idle = httpx.Client(base_url=local.base_url)
    assert idle.get("/models").status_code == 200  # leaves a keep-alive connection open
    waiter = threading.Thread(target=hang)
    waiter.start()
    assert local.wait_for_requests(1, timeout=5)  # the hanging request has arrived
    local.stop()
    waiter.join(5)
    assert not waiter.is_alive() and errors
    idle.close()


def test_main_module_runs_the_server() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "venice_jupyter.offline", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/api/v1")
        assert httpx.get(f"{base_url}/models/traits").json()["data"]["default"]
    finally:
        proc.terminate()
        proc.wait(10)
