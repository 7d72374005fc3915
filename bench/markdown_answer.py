"""A long, varied Markdown answer of a chosen size, as a chat model writes one (deterministic).

    markdown_answer(8000, seed=1)   # ≈ 8,000 tokens by the offline server's tokenizer

Sections with ``##``/``###`` headings, paragraphs with inline code, bold, italics and links,
bullet and numbered lists (some nested), GFM tables of 3–6 columns, block quotes, and fenced
code blocks of 20–80 lines in Python, JavaScript, SQL and Bash. Every block differs: names,
numbers and sentences are drawn from a seeded ``random.Random``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Final

__all__ = ["markdown_answer"]

_SUBJECTS: Final = (
    "the cache", "a worker pool", "the parser", "each request", "the scheduler", "our index",
    "the retry policy", "a streaming decoder", "the session", "the exporter", "this function",
    "the test suite", "a background task", "the connection pool", "the tokenizer",
)  # fmt: skip
_VERBS: Final = (
    "keeps", "checks", "batches", "splits", "records", "validates", "renders", "merges",
    "retries", "streams", "buffers", "indexes", "drops", "compresses", "schedules",
)  # fmt: skip
_OBJECTS: Final = (
    "incoming rows", "partial results", "the response headers", "stale entries",
    "every delta", "the user's settings", "a small window of events", "expired tokens",
    "the largest files first", "at most one page at a time", "metrics for each step",
)  # fmt: skip
_TAILS: Final = (
    "so memory stays bounded", "before anything is written to disk", "which keeps latency low",
    "unless the caller opts out", "and logs a warning otherwise", "in constant time",
    "without blocking the event loop", "so that retries are safe", "once per second at most",
)  # fmt: skip
_TOPICS: Final = (
    "Designing the data model", "Handling errors", "Streaming the results", "Testing strategy",
    "Performance considerations", "Deploying to production", "Caching layers", "Observability",
    "Concurrency and locking", "Configuration", "Security notes", "Migrating old data",
)  # fmt: skip
_WORDS: Final = (
    "latency", "throughput", "cursor", "payload", "schema", "shard", "replica", "timeout",
    "backoff", "checksum", "snapshot", "partition", "quota", "endpoint", "fixture", "token",
)  # fmt: skip


def _inline(rng: random.Random) -> str:
    word = rng.choice(_WORDS)
    return rng.choice(
        (
            f"`{word}_{rng.randint(1, 99)}`",
            f"**{word}**",
            f"*{word}*",
            f"[{word} docs](https://example.com/{word}/{rng.randint(1, 500)})",
            f"`{word}()`",
            word,
        )
    )


def _sentence(rng: random.Random) -> str:
    text = (
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}"
    )
    if rng.random() < 0.5:
        text += f", using {_inline(rng)} with a limit of {rng.randint(2, 4096)}"
    return text[0].upper() + text[1:] + rng.choice((".", ".", ".", "!", "; see below."))


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def _bullets(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(3, 7)):
        lines.append(f"- {_sentence(rng)}")
        if rng.random() < 0.25:
            lines += [f"  - {_inline(rng)}: {_sentence(rng)}" for _ in range(rng.randint(1, 3))]
    return "\n".join(lines)


def _numbered(rng: random.Random) -> str:
    return "\n".join(
        f"{i}. **{rng.choice(_WORDS).title()}** — {_sentence(rng)}"
        for i in range(1, rng.randint(3, 8) + 1)
    )


def _table(rng: random.Random) -> str:
    columns = rng.sample(
        ["Name", "Type", "Default", "Latency (ms)", "Notes", "Owner", "Since", "Limit"],
        rng.randint(3, 6),
    )
    rows = ["| " + " | ".join(columns) + " |", "|" + "|".join(" --- " for _ in columns) + "|"]
    for _ in range(rng.randint(4, 12)):
        cells = []
        for column in columns:
            if column in ("Latency (ms)", "Limit", "Since"):
                cells.append(str(rng.randint(1, 5000)))
            elif column == "Default":
                cells.append(rng.choice(("`None`", "`true`", "`30s`", f"`{rng.randint(1, 64)}`")))
            else:
                extra = "" if rng.random() < 0.5 else " " + rng.choice(_WORDS)
                cells.append(_inline(rng) + extra)
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _python(rng: random.Random, lines: int) -> list[str]:
    out = ["from __future__ import annotations", "", "import time", ""]
    while len(out) < lines:
        name = f"{rng.choice(_VERBS)}_{rng.choice(_WORDS)}"
        arg = rng.choice(_WORDS)
        out += [
            "",
            f"def {name}({arg}: list[int], limit: int = {rng.randint(1, 100)}) -> dict[str, int]:",
            f'    """{_sentence(rng)}"""',
            "    seen: dict[str, int] = {}",
            f"    for i, item in enumerate({arg}):",
            "        if i >= limit:",
            "            break",
            f'        key = f"{{item % {rng.randint(2, 9)}}}"',
            "        seen[key] = seen.get(key, 0) + item",
            f"    time.sleep({rng.random():.3f})  # back off a little",
            "    return seen",
        ]
    return out[:lines]


def _javascript(rng: random.Random, lines: int) -> list[str]:
    out = ["'use strict';", ""]
    while len(out) < lines:
        name = rng.choice(_VERBS) + rng.choice(_WORDS).title()
        out += [
            f"export async function {name}(url, options = {{}}) {{",
            f"  const retries = options.retries ?? {rng.randint(1, 5)};",
            "  for (let attempt = 0; attempt <= retries; attempt++) {",
            "    const response = await fetch(url, { method: 'POST', body: options.body });",
            "    if (response.ok) {",
            "      return await response.json();",
            "    }",
            f"    await new Promise((r) => setTimeout(r, {rng.randint(50, 2000)} * attempt));",
            "  }",
            f"  throw new Error(`{name} failed after ${{retries}} retries`);",
            "}",
            "",
        ]
    return out[:lines]


def _sql(rng: random.Random, lines: int) -> list[str]:
    out: list[str] = []
    while len(out) < lines:
        table = rng.choice(_WORDS) + "s"
        out += [
            f"-- {_sentence(rng)}",
            f"CREATE TABLE IF NOT EXISTS {table} (",
            "    id BIGSERIAL PRIMARY KEY,",
            f"    {rng.choice(_WORDS)}_id BIGINT NOT NULL,",
            f"    value NUMERIC({rng.randint(8, 18)}, 4) DEFAULT 0,",
            "    created_at TIMESTAMPTZ NOT NULL DEFAULT now()",
            ");",
            f"SELECT {rng.choice(_WORDS)}_id, count(*) AS n, avg(value) AS mean",
            f"FROM {table}",
            f"WHERE created_at > now() - interval '{rng.randint(1, 30)} days'",
            f"GROUP BY 1 HAVING count(*) > {rng.randint(1, 100)}",
            "ORDER BY n DESC;",
            "",
        ]
    return out[:lines]


def _bash(rng: random.Random, lines: int) -> list[str]:
    out = ["#!/usr/bin/env bash", "set -euo pipefail", ""]
    while len(out) < lines:
        word = rng.choice(_WORDS)
        out += [
            f"# {_sentence(rng)}",
            f'for f in "${{DATA_DIR:-./data}}"/{word}-*.json; do',
            f'  echo "processing $f ({word})"',
            f"  jq -c '.items[] | select(.size > {rng.randint(1, 999)})' \"$f\" >> out.jsonl",
            "done",
            f"gzip -{rng.randint(1, 9)} out.jsonl && ls -lh out.jsonl.gz",
            "",
        ]
    return out[:lines]


_LANGUAGES: Final[tuple[tuple[str, Callable[[random.Random, int], list[str]]], ...]] = (
    ("python", _python),
    ("javascript", _javascript),
    ("sql", _sql),
    ("bash", _bash),
)


def _code(rng: random.Random) -> str:
    language, make = rng.choice(_LANGUAGES)
    body = "\n".join(make(rng, rng.randint(20, 80)))
    return f"```{language}\n{body}\n```"


_KINDS: Final = (_paragraph, _bullets, _numbered, _table, _code, _code, _paragraph)


def _section(
    rng: random.Random, number: int, bag: list[Callable[[random.Random], str]]
) -> list[str]:
    """A heading, a paragraph, then 3–6 blocks drawn from ``bag`` (refilled, shuffled, when
    empty), so every kind of block keeps turning up in a random order."""
    blocks = [f"## {number}. {rng.choice(_TOPICS)}", _paragraph(rng)]
    for _ in range(rng.randint(3, 6)):
        if not bag:
            bag += rng.sample(_KINDS, len(_KINDS))
        make = bag.pop()
        if rng.random() < 0.2:
            blocks.append(f"### {rng.choice(_WORDS).title()} and {rng.choice(_WORDS)}")
        if rng.random() < 0.1:
            blocks.append("> " + _sentence(rng))
        blocks.append(make(rng))
    return blocks


def markdown_answer(tokens: int, seed: int = 0) -> str:
    """Sections until the offline tokenizer counts at least ``tokens`` tokens."""
    from venice_jupyter.offline.models._tokenizer import tokenize

    rng = random.Random(seed)
    blocks = [_paragraph(rng)]
    count = len(tokenize(blocks[0]))
    number = 0
    bag: list[Callable[[random.Random], str]] = []
    while count < tokens:
        number += 1
        for block in _section(rng, number, bag):
            blocks.append(block)
            count += len(tokenize(block)) + 1  # + the "\n\n" that joins blocks
            if count >= tokens and not block.startswith("#"):
                break
        else:
            continue
        break
    blocks.append("Let me know if you want any of these parts in more detail.")
    return "\n\n".join(blocks)
