"""A tiny OpenAI-style streaming server for benchmarks: a precomputed SSE body, sent fast.

    python -m bench.sse_server --chunks 20000 --write event     # prints its base URL

Every ``POST …/chat/completions`` gets ``text/event-stream`` with HTTP/1.1 chunked framing:
``--chunks`` ``chat.completion.chunk`` events (the first also carries the role), a finish chunk,
a usage chunk (``choices: []``) and ``data: [DONE]``. The body is built once at start-up, so the
server spends its CPU only on writing. ``--write event`` sends one SSE event per write and per
HTTP chunk, as a token-streaming server does; ``--write 4096`` cuts the body into 4 KB writes
that split events anywhere. The status line, headers and first HTTP chunk leave in one write,
so the first content token is on the wire as soon as the request is read (for TTFT).
Keep-alive is supported; the request body is read and ignored.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from typing import Final

__all__ = ["body_pieces", "expected_text", "main", "sse_events", "tokens"]

_HEAD: Final = {
    "id": "chatcmpl-bench0123456789abcdef",
    "object": "chat.completion.chunk",
    "created": 1_764_000_000,
    "model": "bench-model",
}
# Word-level pieces like a real tokenizer's, with Markdown, code, escapes and non-ASCII text.
_WORDS: Final = (
    " the", " stream", " of", " tokens", ",", " and", " a", " client", " that", " reads",
    " it", ".", "\n\n", "##", " Heading", "\n", "-", " item", " with", " **", "bold", "**",
    " `", "code", "`", " café", " naïve", " 中文", " 😀", " \"quoted\"", " back\\slash",
    "\n```", "python", "\n", "def", " f", "(x", "):", "\n    ", "return", " x", " +",
    " 1", "\n```", " |", " col", " |", " 42", " |", " résumé", " data", "-driven", ":",
)  # fmt: skip
_RESPONSE_HEAD: Final = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: text/event-stream; charset=utf-8\r\n"
    b"cache-control: no-cache\r\n"
    b"x-venice-model-id: bench-model\r\n"
    b"transfer-encoding: chunked\r\n\r\n"
)
_NOT_FOUND: Final = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"


def tokens(n: int) -> list[str]:
    return [_WORDS[i % len(_WORDS)] for i in range(n)]


def expected_text(n: int) -> str:
    return "".join(tokens(n))


def _event(value: object) -> bytes:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return f"data: {text}\n\n".encode()


def sse_events(n: int) -> list[bytes]:
    """The whole stream, one ``data: …\\n\\n`` event per item."""
    events = []
    for i, token in enumerate(tokens(n)):
        delta = {"role": "assistant", "content": token} if i == 0 else {"content": token}
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}
        events.append(_event({**_HEAD, "choices": [choice]}))
    finish = {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    events.append(_event({**_HEAD, "choices": [finish]}))
    usage = {"prompt_tokens": 12, "completion_tokens": n, "total_tokens": n + 12}
    events.append(_event({**_HEAD, "choices": [], "usage": usage}))
    events.append(b"data: [DONE]\n\n")
    return events


def body_pieces(n: int, write: int | None) -> list[bytes]:
    """Each write as it goes on the wire: HTTP chunks, the last one ``0\\r\\n\\r\\n``."""
    events = sse_events(n)
    if write is None:
        parts = events
    else:
        body = b"".join(events)
        parts = [body[i : i + write] for i in range(0, len(body), write)]
    pieces = [b"%x\r\n%s\r\n" % (len(p), p) for p in parts]
    pieces[0] = _RESPONSE_HEAD + pieces[0]
    pieces.append(b"0\r\n\r\n")
    return pieces


async def _serve(
    pieces: list[bytes], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            method, path = lines[0].split(" ")[:2]
            if method != "POST" or not path.split("?")[0].endswith("/chat/completions"):
                writer.write(_NOT_FOUND)
                await writer.drain()
                continue
            for piece in pieces:
                writer.write(piece)
                await writer.drain()  # returns at once unless the client is behind
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _main(host: str, port: int, pieces: list[bytes]) -> None:
    server = await asyncio.start_server(
        lambda r, w: _serve(pieces, r, w), host, port, reuse_address=True
    )
    bound = server.sockets[0].getsockname()
    print(f"http://{bound[0]}:{bound[1]}/v1", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--write", default="event", help="'event' or a write size in bytes")
    args = parser.parse_args()
    write = None if args.write == "event" else int(args.write)
    pieces = body_pieces(args.chunks, write)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args.host, args.port, pieces))


if __name__ == "__main__":
    main()
