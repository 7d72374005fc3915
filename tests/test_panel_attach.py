"""The panel's Attach control and its model picker's capability filter, in-process against
the offline server (the panel is driven from a coroutine, as a button handler would be)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.media_files import pdf_bytes, wav_bytes
from tests.spec_validator import validate_request
from venice_jupyter.offline import OfflineServer
from venice_jupyter.widgets.panel import Panel
from venice_jupyter.widgets.panel import panel as open_panel
from venice_jupyter.workspace import VeniceSettings, Workspace


@pytest.fixture
def panel(server: OfflineServer) -> Iterator[Panel]:
    settings = VeniceSettings()
    settings.base_url = server.base_url
    settings.log = False
    state = Workspace(settings)
    yield open_panel(workspace=state, updates_per_second=100)
    state.close()


def upload(panel: Panel, *files: tuple[str, bytes]) -> None:
    """What the browser puts in a FileUpload's value."""
    panel.attach.upload.value = tuple(
        {"name": name, "type": "", "size": len(data), "content": memoryview(data),
         "last_modified": datetime.now(timezone.utc)} for name, data in files
    )  # fmt: skip


def send(panel: Panel, prompt: str, *, retry: bool = False) -> Any:
    async def go() -> Any:
        task = panel.retry() if retry else panel.ask(prompt)
        return None if task is None else await panel.wait()

    return asyncio.run(go())


def test_uploads_go_with_the_next_message_and_again_on_retry(
    panel: Panel, server: OfflineServer
) -> None:
    panel.controls.controls["max_completion_tokens"].value = 4
    upload(panel, ("tone.wav", wav_bytes()), ("paper.pdf", pdf_bytes()))
    assert "tone.wav, paper.pdf" in panel.attach.names.value
    assert send(panel, "What is in these?") is not None
    body = server.requests[-1]
    validate_request(body)
    audio, document = body["messages"][-1]["content"][1:]
    assert base64.b64decode(audio["input_audio"]["data"]) == wav_bytes()
    assert document["file"]["filename"] == "paper.pdf"
    assert panel.attach.upload.value == () and panel.attach.names.value == ""
    send(panel, "", retry=True)
    assert server.requests[-1]["messages"][-1]["content"][1:] == [audio, document]
    send(panel, "And now?")  # the next message carries nothing
    assert server.requests[-1]["messages"][-1]["content"] == "And now?"


def test_an_upload_the_model_cannot_take_is_refused_and_kept(
    panel: Panel, server: OfflineServer
) -> None:
    panel.model.value = "venice-offline-small"
    upload(panel, ("tone.wav", wav_bytes()))
    before = len(server.requests)
    assert send(panel, "Listen.") is None
    assert len(server.requests) == before
    assert "audio input support, which venice-offline-small lacks" in panel.status.value
    assert len(panel.attach.upload.value) == 1  # still attached: pick another model and send


def test_an_upload_venice_cannot_read_is_refused(panel: Panel, server: OfflineServer) -> None:
    upload(panel, ("blob.bin", b"\x00\x01"))
    before = len(server.requests)
    assert send(panel, "Read.") is None and len(server.requests) == before
    assert "none of the types Venice reads" in panel.status.value


def test_the_picker_lists_only_models_with_a_capability(panel: Panel) -> None:
    every = [value for _, value in panel.model.options]
    assert "venice-offline-small" in every
    panel.model.value = "venice-offline-small"
    panel.needs.value = "supportsAudioInput"
    assert [value for _, value in panel.model.options] == ["venice-offline"]
    assert panel.model.value == "venice-offline"  # the picked one lacked it
    panel.needs.value = "supportsVision"
    assert [v for _, v in panel.model.options] == ["venice-offline", "venice-offline-reasoning"]
    assert panel.model.value == "venice-offline"  # kept: it has it
    panel.needs.value = ""
    assert [value for _, value in panel.model.options] == every
