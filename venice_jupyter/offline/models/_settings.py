"""``SamplingSettings``: a request's sampling parameters, as the shared sampler reads them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SamplingSettings"]


@dataclass(frozen=True, slots=True)
class SamplingSettings:
    """Request sampling parameters; the defaults change nothing (plain softmax sampling)."""

    temperature: float = 1.0
    min_temp: float | None = None
    max_temp: float | None = None
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    repetition_penalty: float = 1.0

    @property
    def has_penalties(self) -> bool:
        return bool(self.frequency_penalty or self.presence_penalty) or (
            self.repetition_penalty != 1.0
        )

    @property
    def truncates(self) -> bool:
        return self.top_k > 0 or self.top_p < 1.0 or self.min_p > 0.0
