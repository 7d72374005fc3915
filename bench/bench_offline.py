"""Offline model throughput: tokens per second of generation, in-process and over HTTP.

- generate: the server's own per-request path minus the wire, in this process:
  ``make_plan`` -> ``Completion(plan, get_model(), TopicIndex)`` -> ``interleaved()`` (which
  drives ``ChoiceRun._text`` -> ``generate.sample_tokens`` + ``StopScanner``), counting content
  ``TextDelta``s over ``time.process_time()``. Prompts and seeds vary, so most distributions are
  cached the way a running server's are, but new contexts still appear.
- sample_tokens: the bare sampling loop (``generate.sample_tokens``), for reference.
- http: ``python -m venice_jupyter.offline`` in a subprocess, our ``VeniceClient`` streaming
  ``venice-offline`` replies; content deltas received ÷ wall time from the request to the end
  of each stream (the server's CPU included, since the server is what is measured). Also per
  CPU second of server + client (psutil + ``process_time``), which the machine's load does not
  stretch the way it stretches wall time.

Replies end when the model samples <|end|> (a few hundred tokens), so each figure sums many
requests; the goal applies to both.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    Result,
    bench_args,
    child_cpu_seconds,
    goal,
    info,
    median,
    report,
    server_process,
)

__all__ = ["main", "measure_generate", "measure_http", "measure_sample"]

GOAL_BUILD_S = 1.5  # the corpus (~270 KB) into the n-gram model, once per process
GOAL_TPS = 5_000
PROMPTS = (
    "Tell me about baking sourdough bread at home.",
    "How do Python decorators work? Show an example.",
    "Explain how a hash table handles collisions.",
    "What should I know about training for a marathon?",
    "Compare SQL joins and explain when to use each.",
    "How does photosynthesis turn light into sugar?",
)


def _body(seed: int, limit: int) -> dict[str, Any]:
    prompt = PROMPTS[seed % len(PROMPTS)]
    return {
        "model": "venice-offline",
        "messages": [{"role": "user", "content": prompt}],
        "seed": seed + 1,  # Venice wants a seed > 0
        "max_completion_tokens": limit,
        "stream": True,
    }


def measure_generate(
    rounds: int = 5, completions: int = 100, limit: int = 4000
) -> list[tuple[int, float]]:
    """(content tokens, CPU seconds) per round of ``completions`` replies, after a warm-up."""
    from venice_jupyter.offline.models._ngram import get_model
    from venice_jupyter.offline.models._served import resolve
    from venice_jupyter.offline.models._topic import TopicIndex
    from venice_jupyter.offline.replies._completion import Completion
    from venice_jupyter.offline.replies._generate import TextDelta
    from venice_jupyter.offline.replies._plan import make_plan

    model = get_model()
    topics = TopicIndex(model)
    found = resolve("venice-offline")
    assert found is not None
    info_, suffix = found

    def run(seeds: range) -> tuple[int, float]:
        start = time.process_time()
        tokens = 0
        for seed in seeds:
            completion = Completion(make_plan(_body(seed, limit), info_, suffix), model, topics)
            for _, event in completion.interleaved():
                if isinstance(event, TextDelta) and event.kind == "content":
                    tokens += 1
        return tokens, time.process_time() - start

    run(range(10_000, 10_000 + completions))  # warm-up
    return [run(range(r * completions, (r + 1) * completions)) for r in range(rounds)]


def measure_sample(rounds: int = 5, tokens: int = 20_000) -> list[float]:
    """Tokens per CPU second of ``sample_tokens`` alone (the model's default settings)."""
    from venice_jupyter.offline.models._ngram import get_model
    from venice_jupyter.offline.models._served import resolve
    from venice_jupyter.offline.models._topic import TopicIndex
    from venice_jupyter.offline.replies._generate import sample_tokens
    from venice_jupyter.offline.replies._plan import make_plan

    model = get_model()
    topics = TopicIndex(model)
    found = resolve("venice-offline")
    assert found is not None
    plan = make_plan(_body(0, 4000), *found)
    rates = []
    for r in range(rounds + 1):
        import random

        rng = random.Random(r)
        topic = topics.choose(PROMPTS[r % len(PROMPTS)], rng)
        stream = sample_tokens(
            model, topic.answer_context, plan.model.order, plan.settings, rng, None, topic.answer
        )
        start = time.process_time()
        for n, _ in enumerate(stream, 1):
            if n >= tokens:
                break
        if r:  # round 0 is the warm-up
            rates.append(tokens / (time.process_time() - start))
    return rates


def measure_http(
    rounds: int = 5, requests: int = 25, limit: int = 4000
) -> list[tuple[int, float, float]]:
    """(content tokens received, wall seconds, server + client CPU seconds) per round."""
    from venice_jupyter.api._sync import VeniceClient

    args = ["-m", "venice_jupyter.offline", "--port", "0"]
    with server_process(args, ready=lambda line: line.startswith("http")) as server:
        client = VeniceClient(base_url=server.url)

        def run(seeds: range) -> tuple[int, float, float]:
            tokens, elapsed = 0, 0.0
            cpu = time.process_time() + child_cpu_seconds(server.pid)
            for seed in seeds:
                start = time.perf_counter()
                for delta in client.stream(_body(seed, limit)):
                    tokens += delta.kind == "content"
                elapsed += time.perf_counter() - start
            cpu = time.process_time() + child_cpu_seconds(server.pid) - cpu
            return tokens, elapsed, cpu

        try:
            run(range(10_000, 10_000 + requests))  # warm-up: the server trains its model
            return [run(range(r * requests, (r + 1) * requests)) for r in range(rounds)]
        finally:
            client.close()


def _rate(rounds: list[tuple[int, float]]) -> float:
    return median([tokens / seconds for tokens, seconds in rounds])


def _cpu_rate(rounds: list[tuple[int, float, float]]) -> float:
    return median([tokens / cpu for tokens, _, cpu in rounds])


def measure_build(rounds: int) -> list[float]:
    """CPU seconds to build the n-gram model from the corpus (what the first request waits for)."""
    from venice_jupyter.offline.models._corpus import load_answers
    from venice_jupyter.offline.models._ngram import NGramModel

    answers = load_answers()
    seconds = []
    for _ in range(rounds):
        start = time.process_time()
        NGramModel(answers)
        seconds.append(time.process_time() - start)
    return seconds


def results(quick: bool) -> list[Result]:
    rounds = 3 if quick else 7
    built = measure_build(rounds)
    generated = measure_generate(rounds)
    sampled = measure_sample(rounds)
    http = measure_http(rounds)
    return [
        goal("offline_generate_tokens_per_s", _rate(generated), "tokens/s", ">=", GOAL_TPS),
        info("offline_generate_tokens_per_round", median([t for t, _ in generated]), "tokens"),
        info("offline_sample_tokens_only", median(sampled), "tokens/s"),
        goal(
            "offline_http_stream_tokens_per_s",
            _rate([(t, wall) for t, wall, _ in http]),
            "tokens/s",
            ">=",
            GOAL_TPS,
        ),
        info("offline_http_tokens_per_cpu_s_server_plus_client", _cpu_rate(http), "tokens/s"),
        info("offline_http_tokens_per_round", median([t for t, _, _ in http]), "tokens"),
        goal("offline_model_build_s", median(built), "s", "<=", GOAL_BUILD_S),
    ]


def main(argv: list[str] | None = None) -> None:
    args = bench_args(__doc__.split("\n")[0], argv)
    print("# generate/sample: CPU time in-process; http: wall time through our client")
    report(results(args.quick), args.json_out)


if __name__ == "__main__":
    main()
