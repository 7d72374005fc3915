"""The offline server takes image, audio, video and file parts on models that declare them,
and refuses them as Venice does: a 400 naming the part on a model without the capability,
a DetailedError for too many parts in a message or too many videos in a request."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.media_files import mp4_bytes, pdf_bytes, wav_bytes
from tests.spec_validator import validate_request

IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


AUDIO = {"type": "input_audio", "input_audio": {"data": _b64(wav_bytes()), "format": "wav"}}
VIDEO = {"type": "video_url", "video_url": {"url": "data:video/mp4;base64," + _b64(mp4_bytes())}}
FILE = {
    "type": "file",
    "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64," + _b64(pdf_bytes())},
}


def post(http: httpx.Client, model: str, *parts: dict[str, Any], **extra: Any) -> httpx.Response:
    body = {"model": model, "max_completion_tokens": 4,
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Look."}, *parts]}],
            **extra}  # fmt: skip
    validate_request(body)
    return http.post("/chat/completions", json=body)


@pytest.mark.parametrize("part", [IMAGE, AUDIO, VIDEO, FILE], ids=lambda p: p["type"])
def test_the_default_model_takes_every_kind(http: httpx.Client, part: dict[str, Any]) -> None:
    r = post(http, "venice-offline", part)
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"]


@pytest.mark.parametrize("part", [IMAGE, AUDIO, VIDEO], ids=lambda p: p["type"])
def test_a_model_without_the_capability_refuses(http: httpx.Client, part: dict[str, Any]) -> None:
    r = post(http, "venice-offline-small", part)
    assert (r.status_code, r.json()) == (400, {"error": f"{part['type']} is not supported by "
                                                        "this model"})  # fmt: skip


def test_files_need_no_capability(http: httpx.Client) -> None:
    assert post(http, "venice-offline-small", FILE).status_code == 200


def test_the_catalog_declares_what_each_model_takes(http: httpx.Client) -> None:
    models = {m["id"]: m["model_spec"]["capabilities"] for m in http.get("/models").json()["data"]}
    full = models["venice-offline"]
    assert full["supportsVision"] and full["supportsAudioInput"] and full["supportsVideoInput"]
    assert full["supportsMultipleImages"] and full["maxImages"] == 10
    small = models["venice-offline-small"]
    assert not (
        small["supportsVision"] or small["supportsAudioInput"] or small["supportsVideoInput"]
    )
    reasoning = models["venice-offline-reasoning"]
    assert reasoning["supportsVision"] and not reasoning["supportsMultipleImages"]
    assert "maxImages" not in reasoning


@pytest.mark.parametrize(
    ("part", "limit"), [(IMAGE, 10), (AUDIO, 5), (VIDEO, 3), (FILE, 5)], ids=lambda p: str(p)[:20]
)
def test_too_many_parts_in_a_message(http: httpx.Client, part: dict[str, Any], limit: int) -> None:
    r = post(http, "venice-offline", *[part] * (limit + 1))
    assert r.status_code == 400
    payload = r.json()
    assert payload["error"] == "Invalid request parameters"
    [issue] = payload["issues"]
    assert issue["code"] == "too_big" and issue["maximum"] == limit
    assert issue["path"] == ["messages", 0, "content"]
    assert issue["message"] == f"At most {limit} {part['type']} parts are allowed"


def test_at_most_three_videos_in_a_request(http: httpx.Client) -> None:
    turn = {"role": "user", "content": [{"type": "text", "text": "Watch."}, VIDEO, VIDEO]}
    body = {"model": "venice-offline", "max_completion_tokens": 4,
            "messages": [turn, {"role": "assistant", "content": "Seen."}, turn]}  # fmt: skip
    validate_request(body)
    r = http.post("/chat/completions", json=body)
    assert r.status_code == 400 and r.json()["issues"][0]["path"] == ["messages"]


def test_media_in_an_assistant_message_is_invalid(http: httpx.Client) -> None:
    body = {"model": "venice-offline",
            "messages": [{"role": "assistant", "content": [IMAGE]},
                         {"role": "user", "content": "Hi."}]}  # fmt: skip
    r = http.post("/chat/completions", json=body)
    assert r.status_code == 400 and r.json()["error"] == "Invalid request parameters"


def test_a_text_file_is_read_into_the_prompt_and_a_pdf_is_not(http: httpx.Client) -> None:
    from venice_jupyter.offline.replies import message_text

    words = "The secret word is PINEAPPLE. " * 40
    text_file = {"type": "file", "file": {"filename": "notes.txt",
                 "file_data": "data:text/plain;base64," + _b64(words.encode())}}  # fmt: skip
    read = message_text({"role": "user", "content": [{"type": "text", "text": "Look."}, text_file]})
    assert read.startswith("Look.\n[notes.txt]\nThe secret word is PINEAPPLE.")
    assert message_text({"role": "user", "content": [FILE]}) == ""  # a PDF needs a parser

    def prompt_tokens(*parts: dict[str, Any]) -> int:
        response = post(http, "venice-offline", *parts)
        assert response.status_code == 200, response.text
        return int(response.json()["usage"]["prompt_tokens"])

    bare = prompt_tokens()
    assert prompt_tokens(text_file) > bare + 200  # the file's ~280 words were read
    assert prompt_tokens(FILE) < bare + 10
