"""The shared sampler (``offline.models``): each stage on hand-computed distributions, and
sampling statistics."""

from __future__ import annotations

import math
import random

import pytest

from venice_jupyter.offline.models._sampling import (
    SamplingSettings,
    choose,
    effective_temperature,
    penalize,
    pipeline,
    processed_logprobs,
    sample,
    softmax,
)

TOKENS = ["a", "b", "c", "d"]
PROBS = [0.5, 0.3, 0.15, 0.05]
LOGITS = [math.log(p) for p in PROBS]


def stage(settings: SamplingSettings, name: str, history: tuple[str, ...] = ()) -> tuple:
    stages = {s.name: s for s in pipeline(TOKENS, LOGITS, settings, history)}
    return stages[name].probabilities, stages[name].kept, stages[name].cutoff


def test_pipeline_names_and_identity_settings() -> None:
    stages = pipeline(TOKENS, LOGITS, SamplingSettings())
    names = ["input", "penalties", "temperature", "top_k", "top_p", "min_p", "final"]
    assert [s.name for s in stages] == names
    for s in stages:
        assert s.probabilities == pytest.approx(PROBS)
        assert all(s.kept)


def test_penalties_by_hand() -> None:
    settings = SamplingSettings(
        repetition_penalty=2.0, frequency_penalty=0.5, presence_penalty=0.25
    )
    # counts: a twice, c once; positive logits are divided, negative multiplied (CTRL).
    out = penalize([1.0, -1.0, -2.0, 3.0], [2, 0, 1, 0], settings)
    assert out == pytest.approx([1.0 / 2 - 2 * 0.5 - 0.25, -1.0, -2.0 * 2 - 0.5 - 0.25, 3.0])


def test_penalties_stage_uses_history() -> None:
    settings = SamplingSettings(presence_penalty=math.log(2))
    probs, kept, _ = stage(settings, "penalties", history=("a", "x"))
    # a's weight halves: 0.25 / (0.25 + 0.5) etc.
    assert probs == pytest.approx([0.25 / 0.75, 0.3 / 0.75, 0.15 / 0.75, 0.05 / 0.75])
    assert all(kept)


def test_temperature_by_hand() -> None:
    probs, _, _ = stage(SamplingSettings(temperature=2.0), "temperature")
    weights = [math.sqrt(p) for p in PROBS]
    assert probs == pytest.approx([w / sum(weights) for w in weights])
    assert softmax([0.0, 0.0], 0.5) == pytest.approx([0.5, 0.5])


def test_temperature_zero_is_greedy() -> None:
    settings = SamplingSettings(temperature=0.0)
    probs, _, _ = stage(settings, "final")
    assert probs == (1.0, 0.0, 0.0, 0.0)
    rng = random.Random(1)
    assert {choose(LOGITS, settings, rng) for _ in range(50)} == {0}
    # ties: the first maximum wins
    assert choose([0.0, 1.0, 1.0], settings, rng) == 1
    # reported logprobs at T=0 are those of T=1
    assert processed_logprobs(LOGITS, settings) == pytest.approx(LOGITS)


def test_dynamic_temperature_formula() -> None:
    settings = SamplingSettings(min_temp=0.5, max_temp=1.5)
    entropy = -sum(p * math.log(p) for p in PROBS)
    expected = 0.5 + 1.0 * entropy / math.log(4)
    assert effective_temperature(LOGITS, settings) == pytest.approx(expected)
    assert effective_temperature([0.0] * 4, settings) == pytest.approx(1.5)  # flat: max_temp
    assert effective_temperature([0.0], settings) == pytest.approx(0.5)  # one candidate
    only_min = SamplingSettings(temperature=1.2, min_temp=0.2)
    assert effective_temperature([0.0] * 4, only_min) == pytest.approx(1.2)
    stages = pipeline(TOKENS, LOGITS, settings)
    assert stages[2].param == pytest.approx(expected)


def test_top_k() -> None:
    probs, kept, cutoff = stage(SamplingSettings(top_k=2), "top_k")
    assert kept == (True, True, False, False)
    assert probs == pytest.approx([0.5 / 0.8, 0.3 / 0.8, 0.0, 0.0])
    assert cutoff == pytest.approx(0.3)
    _, kept, cutoff = stage(SamplingSettings(top_k=0), "top_k")
    assert all(kept) and cutoff is None


@pytest.mark.parametrize(
    ("top_p", "survivors"),
    [(0.8, 2), (0.81, 3), (0.5, 1), (0.0, 1), (0.95, 3), (0.96, 4), (1.0, 4)],
)
def test_top_p(top_p: float, survivors: int) -> None:
    probs, kept, _ = stage(SamplingSettings(top_p=top_p), "top_p")
    assert sum(kept) == survivors
    mass = sum(PROBS[:survivors])
    assert probs == pytest.approx([p / mass if i < survivors else 0.0 for i, p in enumerate(PROBS)])


def test_min_p() -> None:
    probs, kept, cutoff = stage(SamplingSettings(min_p=0.2), "min_p")
    assert kept == (True, True, True, False)  # floor 0.2 * 0.5 = 0.1 drops d (0.05)
    assert cutoff == pytest.approx(0.1)
    assert probs == pytest.approx([0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0.0])


def test_stages_compose_in_order() -> None:
    settings = SamplingSettings(temperature=0.5, top_k=3, top_p=0.9, min_p=0.1)
    final = pipeline(TOKENS, LOGITS, settings)[-1]
    # T=0.5 squares the probabilities: .25 .09 .0225 .0025 (sum .365); top_k drops d;
    # top_p 0.9 of the rest needs a and b (.34/.3625 = .938); min_p keeps both.
    assert final.kept == (True, True, False, False)
    assert final.probabilities == pytest.approx([0.25 / 0.34, 0.09 / 0.34, 0.0, 0.0])


def test_ties_keep_candidate_order() -> None:
    stages = pipeline(["x", "y", "z"], [0.0, 0.0, 0.0], SamplingSettings(top_k=2))
    assert stages[3].kept == (True, True, False)


def test_processed_logprobs_are_before_truncation() -> None:
    settings = SamplingSettings(temperature=0.5, top_k=1, frequency_penalty=1.0)
    counts = [0, 1, 0, 0]
    expected_logits = [x / 0.5 for x in penalize(LOGITS, counts, settings)]
    total = math.log(sum(math.exp(x) for x in expected_logits))
    assert processed_logprobs(LOGITS, settings, counts) == pytest.approx(
        [x - total for x in expected_logits]
    )


def test_sample_is_choose_with_history_penalties() -> None:
    settings = SamplingSettings(temperature=0.9, repetition_penalty=3.0, top_p=0.95)
    history = ["a", "a", "b"]
    draws = [sample(TOKENS, LOGITS, settings, random.Random(i), history) for i in range(200)]
    counts = [2, 1, 0, 0]
    again = [TOKENS[choose(LOGITS, settings, random.Random(i), counts)] for i in range(200)]
    assert draws == again


def test_pipeline_rejects_mismatched_input() -> None:
    with pytest.raises(ValueError):
        pipeline(["a"], [0.0, 1.0], SamplingSettings())


def test_empirical_frequencies_match_pipeline() -> None:
    """20,000 draws from a real model context agree with pipeline()'s final distribution.

    Tolerance: each token's count is Binomial(N, p); we allow 5 standard errors
    (sqrt(p(1-p)/N)) per token, which a correct sampler exceeds with probability < 1e-5 for the
    handful of tokens checked; a token with p = 0 must never be drawn.
    """
    from venice_jupyter.offline.models._ngram import get_model

    model = get_model()
    tokens, logprobs = model.distribution([" the"], order=2)
    assert len(tokens) >= 10
    settings = SamplingSettings(temperature=0.7, top_k=5, top_p=0.9, min_p=0.05)
    final = pipeline(tokens, logprobs, settings)[-1]
    assert 2 <= sum(final.kept) <= 5
    n = 20_000
    rng = random.Random(20260)
    counts = {t: 0 for t in tokens}
    for _ in range(n):
        counts[sample(tokens, logprobs, settings, rng)] += 1
    for token, p in zip(tokens, final.probabilities, strict=True):
        observed = counts[token] / n
        if p == 0.0:
            assert counts[token] == 0, token
        else:
            assert abs(observed - p) <= 5 * math.sqrt(p * (1 - p) / n), (token, observed, p)
