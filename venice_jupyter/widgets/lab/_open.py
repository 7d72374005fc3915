"""The sampling lab: what each sampler does to a next-token distribution, one chart per stage.

    sampling_lab(text=None, *, model=None, reply=None, top=20) -> SamplingLab
    await lab_from_prompt(prompt, model=None, top_logprobs=10, **params) -> SamplingLab
    lab_from_prompt_sync(...)                  the same through the blocking session driver

    lab               an ipywidgets.VBox: display it, or put it in an HBox or a Tab
    lab.settings      SamplingSettings from the sliders      lab.set(temperature=0.3, top_k=5)
                                                             lab.reset(): all samplers off
    lab.point         the current distribution (Point)       lab.position / lab.text
    lab.stages        sampling.pipeline() for both            lab.survivors() -> [(token, p)]
    lab.svg()         the charts' markup                      lab.snapshot(): a static copy
    lab.draw(n)       n seeded draws with sampling.choose -> Counter, shown against expectation

``model=None`` is the offline default: the real model (every token of its 49,152-token
vocabulary) when the ``local`` extra is installed, else the n-gram ``venice-offline``. A reply
the offline server of this process wrote with the real model opens on its exact distributions
(recomputed as the server computed them, the sliders at the request's settings); any other
reply on its ``top_logprobs``. For an exact distribution the lab also shows what a
``top_logprobs=20`` view of it would have kept.

The math is ``venice_jupyter.offline.models`` (``sampling``), the same code the offline server
samples with, so what the lab draws is what the server would send. Sliders come from the
parameter table through ``ParamControls``; they start at the values that change nothing
(``SamplingSettings()``).
"""

from __future__ import annotations

from typing import Any

from venice_jupyter import workspace as ws
from venice_jupyter._chat import achat, chat
from venice_jupyter.errors import ParameterError
from venice_jupyter.reply import Reply
from venice_jupyter.widgets.lab._lab import SamplingLab
from venice_jupyter.widgets.lab._local_sources import reply_source, request_settings, text_source
from venice_jupyter.widgets.lab._sources import Snapshot, Source

__all__ = ["SamplingLab", "Snapshot", "lab_from_prompt", "lab_from_prompt_sync", "sampling_lab"]

DEFAULT_TEXT = "The cat sat on the mat. The temperature of the"


def sampling_lab(
    text: str | None = None,
    *,
    model: str | None = None,
    reply: Reply | None = None,
    top: int = 20,
    seed: int = 0,
) -> SamplingLab:
    """A lab on the offline ``model``'s exact distributions along ``text`` (None: the offline
    default), or on ``reply`` (its exact distributions when this process's offline server wrote
    it with the real model, else its ``top_logprobs``: ask with ``logprobs=True,
    top_logprobs=K``)."""
    if reply is not None and text is not None:
        raise ParameterError("text", text, "no text when reply= is given")
    source: Source = (
        reply_source(reply) if reply is not None else text_source(text or DEFAULT_TEXT, model)
    )
    return SamplingLab(source, top=top, seed=seed, settings=request_settings(source))


async def lab_from_prompt(
    prompt: str,
    *,
    model: str | None = None,
    top_logprobs: int = 10,
    top: int = 20,
    workspace: ws.Workspace | None = None,
    **params: Any,
) -> SamplingLab:
    """Ask ``prompt`` through the shared session path (one-off: no conversation) with logprobs,
    then open the lab on the reply. ``params`` are request parameters (temperature=…)."""
    reply = await achat(prompt, model=model, workspace=workspace, logprobs=True,
                        top_logprobs=top_logprobs, **params)  # fmt: skip
    return sampling_lab(reply=reply, top=top)


def lab_from_prompt_sync(
    prompt: str,
    *,
    model: str | None = None,
    top_logprobs: int = 10,
    top: int = 20,
    workspace: ws.Workspace | None = None,
    **params: Any,
) -> SamplingLab:
    """``lab_from_prompt`` with the blocking driver (for scripts and plain cells)."""
    reply = chat(prompt, model=model, workspace=workspace, logprobs=True,
                 top_logprobs=top_logprobs, **params)  # fmt: skip
    return sampling_lab(reply=reply, top=top)
