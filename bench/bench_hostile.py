"""Hostile input costs: the hostile-output corpus rendered, and 1 MB adversarial cells filled.

For every case of ``tests/hostile_corpus.py`` (XSS tricks, a 1 MB line, 10,000 nested list
levels, 5,000 math spans, MathJax bombs …) and its ``PATHOLOGICAL`` Markdown (1 MB lines of
emphasis, brackets, pipes, dollars; 10,000-deep quotes), CPU time (``process_time``) of

- ``render_markdown`` on the whole answer, and
- streaming it through ``StreamingMarkdown`` in the offline server's own tokens, as a sink
  does (``take_finished`` after every piece, the tail whenever as much again was fed as it
  holds, ``full_html`` at the end);

and of ``interpolate`` on 1 MB cells built to make a careless placeholder scan quadratic.
The goal is on the worst case of each: no answer and no cell may hold the kernel for seconds.
The tests prove these inputs render inert; this measures what they cost.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Result, bench_args, goal, info, median, report

__all__ = ["ADVERSARIAL_CELLS", "main", "results"]

GOAL_RENDER_S = 2.0
GOAL_CELL_S = 2.0
MB = 1 << 20
ADVERSARIAL_CELLS = {
    "placeholders": "{x}" * (MB // 3),
    "json": '{"a": [1, {"b": 2}]} ' * (MB // 21),
    "open-braces": "{" * MB,
    "unclosed-keys": "{x['" * (MB // 4),
    "half-escapes": "{{x}" * (MB // 4),
    "long-spec": "{x:" + "1" * MB,
}


def cpu_seconds(repeat: int, run: Callable[..., object], *args: Any) -> float:
    """Median CPU seconds of ``run(*args)`` over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        run(*args)
        times.append(time.process_time() - start)
    return median(times)


def stream_render(pieces: list[str]) -> str:
    from venice_jupyter.render._markdown import StreamingMarkdown

    streamer = StreamingMarkdown()
    fed = shown = 0
    for piece in pieces:
        streamer.feed(piece)
        fed += len(piece)
        streamer.take_finished()
        if fed >= shown:
            shown = fed + len(streamer.tail_html())
    return streamer.full_html()


def results(quick: bool = False, names: set[str] | None = None) -> list[Result]:
    from testkit.hostile_corpus import CASES, PATHOLOGICAL
    from venice_jupyter.offline.models._tokenizer import tokenize
    from venice_jupyter.render._markdown import render_markdown
    from venice_jupyter.request._template import interpolate

    repeat = 1 if quick else 3
    whole: dict[str, float] = {}
    streamed: dict[str, float] = {}
    answers = {c.name: c.text for c in CASES} | PATHOLOGICAL
    for name, text in answers.items():
        if names is not None and name not in names:
            continue
        whole[name] = cpu_seconds(repeat, render_markdown, text)
        streamed[name] = cpu_seconds(repeat, stream_render, tokenize(text))
    cells = {
        name: cpu_seconds(repeat, interpolate, text, {"x": 1})
        for name, text in ADVERSARIAL_CELLS.items()
    }
    worst_whole = max(whole, key=whole.__getitem__)
    worst_streamed = max(streamed, key=streamed.__getitem__)
    worst_cell = max(cells, key=cells.__getitem__)
    print(f"# {len(whole)} answers; worst whole: {worst_whole}, streamed: {worst_streamed}")
    print(f"# worst 1 MB cell: {worst_cell}")
    out = [
        goal("hostile_render_whole_worst_s", whole[worst_whole], "s", "<=", GOAL_RENDER_S),
        goal("hostile_render_streamed_worst_s", streamed[worst_streamed], "s", "<=", GOAL_RENDER_S),
        goal("interpolate_1mb_cell_worst_s", cells[worst_cell], "s", "<=", GOAL_CELL_S),
        info("hostile_render_whole_median_s", median(list(whole.values())), "s"),
    ]
    slow = sorted(streamed, key=streamed.__getitem__, reverse=True)[:3]
    out += [info(f"hostile_streamed_{name}_s", streamed[name], "s") for name in slow]
    return out


def main(argv: list[str] | None = None) -> None:
    args = bench_args(__doc__.split("\n")[0], argv)
    print("# CPU time (process_time), median of repeats")
    report(results(args.quick), args.json_out)


if __name__ == "__main__":
    main()
