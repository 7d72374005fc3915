"""Venice's limits on attachments and the model's capabilities: each is refused before
sending, with a message naming the limit, and nothing reaches the server. A dry run builds
the request anyway and lists what would be refused."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import venice_jupyter
from tests.media_files import mp4_bytes, wav_bytes
from tests.spec_validator import validate_request
from venice_jupyter.api import ModelInfo
from venice_jupyter.errors import CapabilityError, ParameterError
from venice_jupyter.offline import OfflineServer
from venice_jupyter.request import attach, check_media, messages

IMAGE = np.zeros((2, 2, 3), np.uint8)


def refused(home: Any, server: OfflineServer, error: type[Exception], match: str,
            **kwargs: Any) -> None:  # fmt: skip
    before = len(server.requests)
    with pytest.raises(error, match=match):
        venice_jupyter.chat("Look.", max_completion_tokens=4, workspace=home, **kwargs)
    assert len(server.requests) == before, "something was sent"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"images": [IMAGE] * 11}, r"--image: '11 images' .* at most 10 images in one message"),
        ({"audio": [wav_bytes()] * 6}, r"--audio: '6 audio clips' .* at most 5 audio clips in one"),
        ({"video": ["https://e.com/v.mp4"] * 4}, r"--video: '4 videos' .* at most 3 videos in one"),
        ({"files": [("a.txt", b"a")] * 6}, r"--file: '6 files' .* at most 5 files in one message"),
    ],
)
def test_per_message_counts(home: Any, server: OfflineServer, kwargs: Any, match: str) -> None:
    refused(home, server, ParameterError, match, **kwargs)


def test_at_most_three_videos_in_a_request_history_included(
    home: Any, server: OfflineServer
) -> None:
    clip = "https://example.com/clip.mp4"
    venice_jupyter.chat("One.", conversation="films", video=[clip, clip],
                        max_completion_tokens=4, workspace=home)  # fmt: skip
    refused(home, server, ParameterError, r"at most 3 videos in one request, history included",
            conversation="films", video=[clip, clip])  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "words", "remove"),
    [
        ({"images": IMAGE}, "image input", "the images"),
        ({"audio": wav_bytes()}, "audio input", "the audio"),
        ({"video": mp4_bytes()}, "video input", "the videos"),
    ],
)
def test_a_model_without_the_capability(
    home: Any, server: OfflineServer, kwargs: Any, words: str, remove: str
) -> None:
    match = rf"a model with {words} support, which venice-offline-small lacks.*remove {remove}"
    refused(home, server, CapabilityError, match, model="venice-offline-small", **kwargs)


def test_files_need_no_capability(home: Any, server: OfflineServer) -> None:
    venice_jupyter.chat("Read.", files=("a.csv", b"x,y\n1,2\n"), model="venice-offline-small",
                        max_completion_tokens=4, workspace=home)  # fmt: skip
    validate_request(server.requests[-1])
    assert server.requests[-1]["messages"][-1]["content"][1]["type"] == "file"


def test_a_single_image_model_takes_one_image(home: Any, server: OfflineServer) -> None:
    refused(home, server, CapabilityError, r"one image for venice-offline-reasoning.*"
            r"supportsMultipleImages is false", model="venice-offline-reasoning",
            images=[IMAGE, IMAGE])  # fmt: skip


def test_the_model_s_max_images() -> None:
    model = ModelInfo(id="few-eyes", capabilities={"supportsVision": True,
                      "supportsMultipleImages": True, "maxImages": 2})  # fmt: skip
    user = messages.user("Look.", parts=[a.part for a in attach(images=[IMAGE] * 3)])
    with pytest.raises(CapabilityError, match=r"at most 2 images for few-eyes.*maxImages is 2"):
        check_media(model, user, {"messages": [user]})


def test_one_attachment_at_most_25_mb(home: Any, server: OfflineServer, tmp_path: Path) -> None:
    big = tmp_path / "big.pdf"
    with big.open("wb") as f:  # a sparse file: the size is checked before anything is read
        f.truncate(26 * 2**20)
    refused(home, server, ParameterError, r"--file: .*at most 25 MB per attachment.*26\.0 MB",
            files=str(big))  # fmt: skip


def test_the_whole_body_at_most_35_mb(home: Any, server: OfflineServer) -> None:
    # Three 9 MB files pass one by one; as base64 the body is about 36 MB.
    chunk = b"%PDF-" + os.urandom(9 * 2**20)
    refused(home, server, ParameterError, r"request: '3\d\.\d MB of JSON' .* at most 35 MB",
            files=[("a.pdf", chunk), ("b.pdf", chunk), ("c.pdf", chunk)])  # fmt: skip


def test_only_user_messages_carry_media() -> None:
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    with pytest.raises(ParameterError, match=r"messages\[0\].*only user messages may carry"):
        messages.check_messages([{"role": "system", "content": [image]}])


def test_a_dry_run_builds_the_request_and_lists_the_refusals(home: Any) -> None:
    session = home.session()
    made = attach(audio=wav_bytes(), video=["https://e.com/v.mp4"] * 4)
    prepared = session.prepare("Listen.", model="venice-offline-small", attachments=made,
                               dry_run=True)  # fmt: skip
    validate_request(prepared.body)
    kinds = [p["type"] for p in prepared.body["messages"][-1]["content"]]
    assert kinds == ["text", "input_audio", *["video_url"] * 4]
    said = "\n".join(prepared.refused)
    assert "at most 3 videos in one message" in said
    assert "audio input support, which venice-offline-small lacks" in said
    assert "at most 3 videos in one request" in said
    with pytest.raises(ParameterError):  # the same request, to be sent, raises
        session.prepare("Listen.", model="venice-offline-small", attachments=made)


def test_compare_checks_every_column_s_model(server: OfflineServer) -> None:
    from tests.test_compare import run
    from venice_jupyter import compare

    mark = len(server.requests)

    async def body(session: Any) -> list[dict[str, Any]]:
        with pytest.raises(CapabilityError, match="which venice-offline-small lacks"):
            compare("Listen.", ["venice-offline", "venice-offline-small"], audio=wav_bytes(),
                    session=session)  # fmt: skip
        assert server.requests[mark:] == []  # no column was sent
        view = compare("Read and look.", ["venice-offline", "venice-offline-reasoning"],
                       files=("a.csv", b"x\n1\n"), images=IMAGE,
                       params={"max_completion_tokens": 4}, session=session)  # fmt: skip
        await view.wait()
        return server.requests[mark:]

    sent = run(server, body)
    assert sorted(b["model"] for b in sent) == ["venice-offline", "venice-offline-reasoning"]
    for b in sent:
        validate_request(b)
        assert [p["type"] for p in b["messages"][-1]["content"]] == ["text", "image_url", "file"]
