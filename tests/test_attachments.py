"""Each kind of attachment, made from a real file or object, sent through ``chat()`` to the
offline server: the body validates against the spec's ChatCompletionRequest and carries the
part Venice expects."""

from __future__ import annotations

import base64
import io
import wave
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import venice_jupyter
from tests.media_files import docx_bytes, mp4_bytes, pdf_bytes, wav_bytes
from tests.spec_validator import validate_request
from venice_jupyter.errors import ParameterError
from venice_jupyter.offline import OfflineServer
from venice_jupyter.request import attach


def sent_parts(server: OfflineServer) -> list[dict[str, Any]]:
    body = server.requests[-1]
    validate_request(body)
    content = body["messages"][-1]["content"]
    assert isinstance(content, list) and content[0] == {"type": "text", "text": "Summarise."}
    return list(content[1:])


def ask(home: Any, **attachments: Any) -> None:
    venice_jupyter.chat("Summarise.", max_completion_tokens=4, workspace=home, **attachments)


def data_of(url: str, mime: str) -> bytes:
    head, _, encoded = url.partition(",")
    assert head == f"data:{mime};base64"
    return base64.b64decode(encoded)


def test_a_pdf_file_goes_as_a_file_part(home: Any, server: OfflineServer, tmp_path: Path) -> None:
    path = tmp_path / "tides.pdf"
    path.write_bytes(pdf_bytes())
    ask(home, files=str(path))
    [part] = sent_parts(server)
    assert part["type"] == "file" and part["file"]["filename"] == "tides.pdf"
    assert data_of(part["file"]["file_data"], "application/pdf") == path.read_bytes()


def test_a_dataframe_goes_as_a_csv_file(home: Any, server: OfflineServer) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"city": ["Oslo", "Lima"], "rain_mm": [763, 16]})
    ask(home, files=frame)
    [part] = sent_parts(server)
    assert part["file"]["filename"] == "table.csv"
    csv = data_of(part["file"]["file_data"], "text/csv").decode()
    assert csv.splitlines() == ["city,rain_mm", "Oslo,763", "Lima,16"]  # no 0..n-1 index


def test_a_dataframe_named_in_a_namespace_keeps_its_name() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"x": [1]}, index=pd.Index(["a"], name="key"))
    [made] = attach(files="sales", namespace={"sales": frame})
    assert made.part["file"]["filename"] == "sales.csv"
    csv = data_of(made.part["file"]["file_data"], "text/csv").decode()
    assert csv.splitlines() == ["key,x", "a,1"]  # a meaningful index is kept


def test_named_bytes_and_a_docx(home: Any, server: OfflineServer) -> None:
    ask(home, files=[("report.docx", docx_bytes()), ("notes.md", b"# Notes\n")])
    docx, notes = sent_parts(server)
    assert docx["file"]["filename"] == "report.docx"
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert data_of(docx["file"]["file_data"], mime) == docx_bytes()
    assert data_of(notes["file"]["file_data"], "text/markdown") == b"# Notes\n"


def test_an_https_file_url_is_passed_for_venice_to_fetch(home: Any, server: OfflineServer) -> None:
    ask(home, files="https://example.com/papers/tides.pdf")
    [part] = sent_parts(server)
    assert part["file"] == {"file_data": "https://example.com/papers/tides.pdf",
                            "filename": "tides.pdf"}  # fmt: skip


def test_a_wav_file_goes_as_input_audio(home: Any, server: OfflineServer, tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    path.write_bytes(wav_bytes())
    ask(home, audio=path)
    [part] = sent_parts(server)
    assert part["type"] == "input_audio" and part["input_audio"]["format"] == "wav"
    assert base64.b64decode(part["input_audio"]["data"]) == path.read_bytes()


def test_a_numpy_array_with_its_rate_is_encoded_as_wav(home: Any, server: OfflineServer) -> None:
    t = np.linspace(0, 0.1, 1600, endpoint=False)
    samples = 0.5 * np.sin(2 * np.pi * 440 * t)
    ask(home, audio=(samples, 16000))
    [part] = sent_parts(server)
    with wave.open(io.BytesIO(base64.b64decode(part["input_audio"]["data"]))) as got:
        assert (got.getframerate(), got.getnchannels(), got.getnframes()) == (16000, 1, 1600)
        pcm = np.frombuffer(got.readframes(1600), "<i2")
    assert abs(int(pcm.max()) - round(0.5 * 32767)) <= 2  # the level is kept, not normalised


def test_ipython_audio_is_sent_as_its_wav(home: Any, server: OfflineServer) -> None:
    from IPython.display import Audio

    clip = Audio(np.sin(np.linspace(0, 100, 800)), rate=8000)
    ask(home, audio=clip)
    [part] = sent_parts(server)
    assert part["input_audio"]["format"] == "wav"
    assert base64.b64decode(part["input_audio"]["data"]) == clip.data


def test_a_video_file_and_a_video_url(home: Any, server: OfflineServer, tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(mp4_bytes())
    ask(home, video=[str(path), "https://example.com/clip.webm"])
    local, remote = sent_parts(server)
    assert data_of(local["video_url"]["url"], "video/mp4") == mp4_bytes()
    assert remote == {"type": "video_url", "video_url": {"url": "https://example.com/clip.webm"}}


def _png_pixels(png: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, colour type, raw scanlines) of a PNG with one IDAT chunk."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height, _, colour = np.frombuffer(png[16:26], ">u4,>u4,u1,u1")[0].tolist()
    start = png.index(b"IDAT") + 4
    length = int.from_bytes(png[start - 8 : start - 4], "big")
    return width, height, colour, zlib.decompress(png[start : start + length])


def test_a_numpy_array_image_is_sent_as_png(home: Any, server: OfflineServer) -> None:
    image = np.zeros((2, 3, 3), np.uint8)
    image[0, 0] = (255, 0, 0)
    ask(home, images=image)
    [part] = sent_parts(server)
    png = data_of(part["image_url"]["url"], "image/png")
    width, height, colour, raw = _png_pixels(png)
    assert (width, height, colour) == (3, 2, 2)
    assert raw[:4] == b"\x00\xff\x00\x00" and len(raw) == 2 * (1 + 3 * 3)


def test_float_and_grey_arrays_become_png() -> None:
    from venice_jupyter.request import to_data_url

    grey = to_data_url(np.linspace(0, 1, 12).reshape(3, 4))
    width, height, colour, raw = _png_pixels(data_of(grey, "image/png"))
    assert (width, height, colour) == (4, 3, 0) and raw[-1] == 255 and raw[1] == 0


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("files", ("data.bin", b"\x00\x01"), "which is none of the types Venice reads"),
        ("files", "http://example.com/a.pdf", "Venice fetches files only over https"),
        ("files", b"PK\x03\x04\x00\xff", "only their name tells apart"),
        ("audio", "https://example.com/a.mp3", "not as a URL: download it first"),
        ("audio", np.zeros(100), "Pass (array, rate)"),
        ("audio", (np.zeros(100), 0), "a sample rate in Hz"),
        ("audio", b"\x00" * 16, "none of these"),
        ("video", b"\x00" * 16, "none of these"),
        ("images", np.full((2, 2), 300), "Rescale it first"),
        ("images", np.zeros((2, 2, 2)), "an image array of shape"),
    ],
)
def test_what_cannot_be_sent_is_refused_before_sending(
    home: Any, server: OfflineServer, kind: str, value: Any, message: str
) -> None:
    before = len(server.requests)
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ask(home, **{kind: value})
    assert len(server.requests) == before


def test_a_missing_file_names_the_path(home: Any, server: OfflineServer, tmp_path: Path) -> None:
    before = len(server.requests)
    with pytest.raises(ParameterError, match=r"--file: .*there is no file .*nope\.pdf"):
        ask(home, files=str(tmp_path / "nope.pdf"))
    assert len(server.requests) == before


def test_a_conversation_with_attachments_exports_and_imports(home: Any, tmp_path: Path) -> None:
    from venice_jupyter.errors import ConfigError
    from venice_jupyter.storage import export_json, export_markdown, import_json

    venice_jupyter.chat("Summarise.", conversation="docs", max_completion_tokens=4, workspace=home,
                        files=("report.pdf", pdf_bytes()), audio=wav_bytes(),
                        video="https://example.com/clip.webm")  # fmt: skip
    conv = home.conversations.get("docs")
    transcript = export_markdown(conv)
    for note in (
        "*[file: report.pdf]*",
        "*[audio: wav]*",
        "*[video: https://example.com/clip.webm]*",
    ):
        assert note in transcript
    assert "base64" not in transcript
    text = export_json(conv)
    assert import_json(text).messages() == conv.messages()  # the parts round-trip
    broken = text.replace('"file_data"', '"file_dat"')
    with pytest.raises(ConfigError, match=r"content\[\d\]\.file\.file_data"):
        import_json(broken)


def test_one_value_or_several() -> None:
    wav = wav_bytes()
    a, b = np.zeros(100), np.ones(100)
    assert len(attach(audio=(a, 8000))) == 1  # one clip and its rate
    assert len(attach(audio=(8000, a))) == 1  # scipy.io.wavfile.read's order
    assert len(attach(audio=(wav, wav))) == 2
    assert len(attach(images=(np.zeros((2, 2)), np.zeros((2, 2))))) == 2  # two arrays are two
    assert len(attach(files=("a.csv", b"x\n"))) == 1  # (name, bytes)
    assert len(attach(files=[("a.csv", b"x\n"), ("b.csv", b"y\n")])) == 2
    assert [
        m.kind
        for m in attach(
            images=np.zeros((2, 2)),
            audio=(b, 8000),
            video="https://e.com/v.mp4",
            files=("a.md", b"#"),
        )
    ] == ["image_url", "input_audio", "video_url", "file"]
