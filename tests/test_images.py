"""``--image``: variables, files, URLs, bytes and image objects all become an image URL."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from venice_jupyter.errors import ParameterError
from venice_jupyter.request._images import MAX_IMAGE_BYTES, to_data_url


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_1x1() -> bytes:
    """A valid 1×1 red PNG: signature, IHDR (8-bit RGB), one filtered scanline, IEND."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


PNG = png_1x1()
# SOI, a JFIF APP0 segment, EOI: the shape of a JPEG file (no scan data is needed to sniff it).
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\xff\xd9"
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88"


def decoded(url: str, mime: str) -> bytes:
    prefix = f"data:{mime};base64,"
    assert url.startswith(prefix), url[:40]
    return base64.b64decode(url[len(prefix) :])


def test_png_is_valid() -> None:
    # The test image itself: every chunk's CRC checks out and the pixels decompress.
    pos, kinds = 8, []
    while pos < len(PNG):
        (length,) = struct.unpack(">I", PNG[pos : pos + 4])
        kind, data = PNG[pos + 4 : pos + 8], PNG[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", PNG[pos + 8 + length : pos + 12 + length]) == (
            zlib.crc32(kind + data),
        )
        kinds.append(kind)
        if kind == b"IDAT":
            assert zlib.decompress(data) == b"\x00\xff\x00\x00"
        pos += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]


@pytest.mark.parametrize(
    ("data", "mime"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"), (WEBP, "image/webp")],
)
def test_bytes_are_sniffed(data: bytes, mime: str) -> None:
    assert decoded(to_data_url(data), mime) == data
    assert decoded(to_data_url(bytearray(data)), mime) == data
    assert decoded(to_data_url(memoryview(data)), mime) == data


def test_file_path_as_str_and_path(tmp_path: Path) -> None:
    path = tmp_path / "pixel.png"
    path.write_bytes(PNG)
    assert decoded(to_data_url(str(path)), "image/png") == PNG
    assert decoded(to_data_url(path), "image/png") == PNG


def test_relative_path_is_read_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "photo.jpg").write_bytes(JPEG)
    monkeypatch.chdir(tmp_path)
    assert decoded(to_data_url("photo.jpg", {}), "image/jpeg") == JPEG


def test_text_file_is_rejected_with_the_allowed_formats(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some words\n")
    with pytest.raises(ParameterError) as info:
        to_data_url(str(path))
    message = str(info.value)
    assert "--image" in message and str(path) in message
    assert "PNG, JPEG, GIF or WEBP" in message and "b'just some wo'" in message


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ParameterError, match="It is empty"):
        to_data_url(str(path))


def test_missing_path_names_the_path_and_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParameterError) as info:
        to_data_url("plots/missing.png", {})
    message = str(info.value)
    assert str(tmp_path / "plots" / "missing.png") in message
    assert f"the current directory is {tmp_path}" in message
    assert "No variable" not in message  # not a name a variable could have


def test_unknown_name_says_there_is_neither_variable_nor_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParameterError, match="No variable by that name exists in the notebook"):
        to_data_url("chart", {"other": PNG})


def test_directory_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="is not a file"):
        to_data_url(str(tmp_path))


def test_namespace_variable_holding_bytes() -> None:
    assert decoded(to_data_url("img", {"img": GIF}), "image/gif") == GIF


def test_namespace_variable_holding_a_path(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(PNG)
    assert decoded(to_data_url("p", {"p": str(path)}), "image/png") == PNG


def test_variable_wins_over_a_file_of_the_same_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "img").write_bytes(PNG)
    monkeypatch.chdir(tmp_path)
    assert decoded(to_data_url("img", {"img": GIF}), "image/gif") == GIF
    assert decoded(to_data_url("img", {}), "image/png") == PNG


def test_a_variable_is_resolved_only_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # "a" holds the string "b": that is a (missing) file name, not another variable to follow.
    with pytest.raises(ParameterError, match="there is no file"):
        to_data_url("a", {"a": "b", "b": PNG})


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/cat.png",
        "http://example.com/cat.png",
        "data:image/png;base64,iVBORw0KGgo=",
    ],
)
def test_urls_pass_through_unchanged(url: str) -> None:
    assert to_data_url(url) == url
    assert to_data_url("u", {"u": url}) == url


class ReprPNG:
    def __init__(self, value: Any) -> None:
        self.value = value

    def _repr_png_(self) -> Any:
        return self.value


@pytest.mark.parametrize(
    "value",
    [PNG, (PNG, {"width": 1}), base64.b64encode(PNG).decode("ascii")],
    ids=["bytes", "with-metadata", "base64-text"],
)
def test_repr_png_objects(value: Any) -> None:
    assert decoded(to_data_url(ReprPNG(value)), "image/png") == PNG


def test_repr_jpeg_when_there_is_no_png() -> None:
    class JpegOnly(ReprPNG):
        def _repr_jpeg_(self) -> bytes:
            return JPEG

    assert decoded(to_data_url(JpegOnly(None)), "image/jpeg") == JPEG


class FakePIL:
    """What Pillow's Image looks like from here: .mode and .save(fp, format=...)."""

    mode = "RGB"

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def save(self, fp: io.BytesIO, **kwargs: Any) -> None:
        self.calls.append(kwargs)
        fp.write(PNG)


def test_pil_like_image_is_saved_as_png() -> None:
    image = FakePIL()
    assert decoded(to_data_url("im", {"im": image}), "image/png") == PNG
    assert image.calls == [{"format": "PNG"}]


def test_pil_like_image_whose_repr_png_gives_nothing_is_saved() -> None:
    class Both(FakePIL):
        def _repr_png_(self) -> None:
            return None

    assert decoded(to_data_url(Both()), "image/png") == PNG


class FakeFigure:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def savefig(self, fname: io.BytesIO, **kwargs: Any) -> None:
        self.calls.append(kwargs)
        fname.write(PNG)


def test_figure_like_object_is_saved_as_tight_png() -> None:
    figure = FakeFigure()
    assert decoded(to_data_url(figure), "image/png") == PNG
    assert figure.calls == [{"format": "png", "bbox_inches": "tight"}]


def test_axes_like_object_uses_its_figure() -> None:
    class Axes:
        figure = FakeFigure()

    assert decoded(to_data_url(Axes()), "image/png") == PNG


class CMYK(FakePIL):
    mode = "CMYK"

    def save(self, fp: io.BytesIO, **kwargs: Any) -> None:
        raise OSError("cannot write mode CMYK as PNG")


def test_pil_like_image_png_cannot_hold_is_converted_to_rgb() -> None:
    converted = FakePIL()

    class Convertible(CMYK):
        def convert(self, mode: str) -> FakePIL:
            assert mode == "RGB"
            return converted

    assert decoded(to_data_url(Convertible()), "image/png") == PNG
    assert converted.calls == [{"format": "PNG"}]


def test_a_failing_save_is_a_parameter_error_with_the_library_message() -> None:
    with pytest.raises(ParameterError, match=r"save.*failed with OSError: cannot write mode CMYK"):
        to_data_url(CMYK())


def test_an_object_that_saves_something_else_is_rejected() -> None:
    class Svg(FakeFigure):
        def savefig(self, fname: io.BytesIO, **kwargs: Any) -> None:
            fname.write(b"<svg xmlns='http://www.w3.org/2000/svg'/>")

    with pytest.raises(ParameterError, match="PNG, JPEG, GIF or WEBP"):
        to_data_url(Svg())


@pytest.mark.parametrize("value", [5, None, ["a.png"], object()])
def test_unsupported_objects_list_what_is_accepted(value: Any) -> None:
    with pytest.raises(ParameterError, match="a variable name, a file path, an http"):
        to_data_url(value)


def test_bytes_over_the_size_limit_are_rejected() -> None:
    with pytest.raises(ParameterError, match="at most 20 MB"):
        to_data_url(PNG + b"\x00" * MAX_IMAGE_BYTES)


def test_large_file_is_rejected_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    with path.open("wb") as handle:
        handle.write(PNG)
        handle.truncate(MAX_IMAGE_BYTES + 1)  # sparse: no 20 MB written to disk
    with pytest.raises(ParameterError, match=r"20\.0 MB"):
        to_data_url(str(path))


def test_file_at_the_size_limit_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    with path.open("wb") as handle:
        handle.write(PNG)
        handle.truncate(MAX_IMAGE_BYTES)
    assert to_data_url(str(path)).startswith("data:image/png;base64,iVBOR")


def test_real_pil_image() -> None:
    pil_image = pytest.importorskip("PIL.Image")
    image = pil_image.new("RGB", (2, 2), "red")
    assert to_data_url(image).startswith("data:image/png;base64,")
    cmyk = pil_image.new("CMYK", (2, 2))
    assert to_data_url(cmyk).startswith("data:image/")


def test_real_matplotlib_figure() -> None:
    pytest.importorskip("matplotlib")
    figure_module = pytest.importorskip("matplotlib.figure")
    figure = figure_module.Figure(figsize=(1, 1))
    figure.add_subplot().plot([0, 1], [1, 0])
    assert to_data_url(figure).startswith("data:image/png;base64,")
