"""Attachments and the model list through the magics in a real kernel, typed as the README
documents them: ``--file`` (a PDF, a DataFrame), ``--audio`` (a WAV file, an array with its
rate), ``--image`` with a numpy array, ``--dry-run`` on a model that lacks the capability, and
``%venice models`` filtered and sorted."""

from __future__ import annotations

import base64
import io
import re
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.kernel import Execution, Kernel, venice_kernel
from tests.media_files import pdf_bytes, wav_bytes
from tests.spec_validator import validate_request
from venice_jupyter.offline import OfflineServer

pytestmark = pytest.mark.kernel

SETUP = """
import numpy as np, pandas as pd
df = pd.DataFrame({"month": ["Jan", "Feb", "Mar"], "rain_mm": [78, 41, 95]})
arr = np.zeros((32, 48, 3), np.uint8); arr[:, :24] = (255, 128, 0)
t = np.linspace(0, 0.25, 4000, endpoint=False)
tone = (0.4 * np.sin(2 * np.pi * 440 * t), 16000)
"""


@pytest.fixture(scope="module")
def kernel(
    venice_server: OfflineServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kernel]:
    home = tmp_path_factory.mktemp("attachments")
    (home / "report.pdf").write_bytes(pdf_bytes())
    (home / "clip.wav").write_bytes(wav_bytes())
    with venice_kernel(home, venice_server.base_url, SETUP) as k:
        yield k


@pytest.fixture
def k(kernel: Kernel, server: OfflineServer) -> Kernel:
    assert kernel.execute("%venice reset").status == "ok"
    # Short answers, so that the cells below are typed exactly as the README shows them.
    assert kernel.execute("%venice set max_completion_tokens=8").status == "ok"
    assert kernel.execute(README_CELLS[0]).status == "ok"  # as the README says to, first
    return kernel


README_CELLS = [
    "%venice use venice-offline",
    "%%venice --file report.pdf\nSummarise this report in three bullets.",
    "%%venice --file df\nWhich month had the most rain?",
    "%%venice --audio clip.wav\nTranscribe this.",
    "%%venice --image arr\nWhat does this image show?",
    "%%venice -m venice-offline-small --audio clip.wav --dry-run\nTranscribe this.",
    "%venice models --with vision,audio --sort price",
    "%venice models qwen --sort context",
]


def test_the_cells_are_the_readme_s() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = [b.strip() for b in re.findall(r"^```\w*\n(.*?)^```", readme, re.DOTALL | re.M)]
    lines = {line.split("#")[0].strip() for b in blocks for line in b.splitlines()}
    for cell in README_CELLS:
        assert cell in blocks or cell in lines, cell


def sent(k: Kernel, server: OfflineServer, cell: str) -> list[dict[str, object]]:
    """Run ``cell``; the parts after the text of the one request it sent."""
    before = len(server.requests)
    ex = k.execute(cell)
    assert ex.status == "ok", ex.error
    assert len(server.requests) == before + 1
    body = server.requests[-1]
    validate_request(body)
    content = body["messages"][-1]["content"]
    assert isinstance(content, list) and content[0]["type"] == "text"
    return list(content[1:])


def test_file_pdf_and_file_df(k: Kernel, server: OfflineServer) -> None:
    [pdf] = sent(k, server, "%%venice --file report.pdf\n"
                            "Summarise this report in three bullets.")  # fmt: skip
    assert pdf["file"]["filename"] == "report.pdf"  # type: ignore[index]
    [csv] = sent(k, server, "%%venice --file df\n"
                            "Which month had the most rain?")  # fmt: skip
    head, _, data = csv["file"]["file_data"].partition(",")  # type: ignore[index]
    assert csv["file"]["filename"] == "df.csv" and head == "data:text/csv;base64"  # type: ignore[index]
    assert base64.b64decode(data).decode().splitlines() == [
        "month,rain_mm", "Jan,78", "Feb,41", "Mar,95"]  # fmt: skip


def test_audio_file_and_array(k: Kernel, server: OfflineServer) -> None:
    [clip] = sent(k, server, "%%venice --audio clip.wav\nTranscribe this.")
    assert base64.b64decode(clip["input_audio"]["data"]) == wav_bytes()  # type: ignore[index]
    [tone] = sent(k, server, "%%venice --audio tone\nWhat note is this?")
    raw = base64.b64decode(tone["input_audio"]["data"])  # type: ignore[index]
    with wave.open(io.BytesIO(raw)) as got:
        assert (got.getframerate(), got.getnframes()) == (16000, 4000)


def test_image_arr(k: Kernel, server: OfflineServer) -> None:
    [image] = sent(k, server, "%%venice --image arr\n"
                              "What does this image show?")  # fmt: skip
    url = image["image_url"]["url"]  # type: ignore[index]
    png = base64.b64decode(url.partition(",")[2])
    assert url.startswith("data:image/png;base64,") and png[12:16] == b"IHDR"
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (48, 32)


def test_dry_run_on_a_model_without_audio(k: Kernel, server: OfflineServer) -> None:
    before = len(server.requests)
    ex = k.execute("%%venice -m venice-offline-small --audio clip.wav --dry-run\nTranscribe this.")
    assert ex.status == "ok", ex.error
    assert len(server.requests) == before  # nothing sent
    [shown] = [m["content"]["data"] for m in ex.of_type("display_data")]
    text = shown["text/plain"]
    assert "Venice would refuse this request (nothing was sent):" in text
    assert "audio input support, which venice-offline-small lacks" in text
    assert '"type": "input_audio"' in text and "characters)" in text  # base64 cut short
    body = shown["application/json"]
    assert body["messages"][-1]["content"][1]["input_audio"]["format"] == "wav"
    ex = k.execute("%%venice -m venice-offline-small --audio clip.wav\nTranscribe this.")
    assert ex.status == "error" and "audio input" in ex.error["evalue"]  # type: ignore[index]
    assert len(server.requests) == before


def _table(ex: Execution) -> str:
    assert ex.status == "ok", ex.error
    plain = [m["content"]["data"]["text/plain"] for m in ex.of_type("display_data")]
    return plain[-1]


def _ids(table: str) -> list[str]:
    return [line.split()[0] for line in table.splitlines()[2:] if line.strip()]  # title, header


def test_models_filters_and_sorts(k: Kernel) -> None:
    audio = _table(k.execute("%venice models --with vision,audio --sort price"))
    assert _ids(audio) == ["venice-offline"]
    assert "A audio input" in audio and "M video input" in audio  # the letters explained
    vision = _ids(_table(k.execute("%venice models --with V --sort price")))
    assert vision == ["venice-offline", "venice-offline-reasoning"]  # $0.40 then $0.80 out
    none = k.execute("%venice models qwen --sort context").stdout  # no such offline model
    assert none.startswith("No text models from") and "A audio input" not in none
    by_context = _ids(_table(k.execute("%venice models offline --sort context")))
    # largest context first: venice-offline (32k) before venice-offline-small (8k)
    assert by_context.index("venice-offline") < by_context.index("venice-offline-small")
    legacy = _table(k.execute("%venice models legacy"))
    assert "deprecated until 2027-01-31 → venice-offline" in legacy
    assert "temp 0.8 top_p 0.9" in legacy  # the model's constraints defaults
    ex = k.execute("%venice models --with vision,telepathy")
    assert ex.status == "error" and "'telepathy'" in ex.error["evalue"]  # type: ignore[index]
    assert "The words: audio," in ex.error["evalue"]  # type: ignore[index]
