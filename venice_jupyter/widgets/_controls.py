"""Widget controls generated from the parameter table (``Param.widget``), nothing hand-listed.

Each control starts "unset" (a checkbox beside it) so that only parameters the user touched are
sent; defaults come from the model's own ``constraints`` where Venice publishes them.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from venice_jupyter.api import ModelInfo
from venice_jupyter.request import PARAMS, ChatParams, Param

__all__ = ["ParamControls"]

# Slider ends for parameters the spec leaves open above.
OPEN_MAXIMA = {"top_k": 200, "repetition_penalty": 2.0, "max_completion_tokens": 4096,
               "top_logprobs": 20, "seed": 2**31 - 1}  # fmt: skip
FALLBACK_START = {"temperature": 0.8, "top_p": 0.9, "min_p": 0.05, "top_k": 40,
                  "min_temp": 0.5, "max_temp": 1.5, "repetition_penalty": 1.1,
                  "max_completion_tokens": 512, "seed": 42, "top_logprobs": 5}  # fmt: skip


def _control(p: Param) -> w.Widget:
    start = p.default if p.default is not None else FALLBACK_START.get(p.name, 0)
    style = {"description_width": "150px"}
    layout = w.Layout(width="420px")
    common: dict[str, Any] = {
        "description": p.name,
        "tooltip": p.help,
        "style": style,
        "layout": layout,
        "continuous_update": False,
    }
    if p.type == "float":
        hi = p.maximum if p.maximum is not None else OPEN_MAXIMA.get(p.name, 2.0)
        lo = p.minimum if p.minimum is not None else 0.0
        return w.FloatSlider(value=float(start), min=lo, max=hi, step=p.step or 0.01, **common)
    if p.type == "int":
        hi = int(p.maximum if p.maximum is not None else OPEN_MAXIMA.get(p.name, 100))
        lo = int(p.minimum if p.minimum is not None else 0)
        if p.exclusive_minimum:
            lo += 1
        value = max(lo, min(hi, int(start)))
        if p.name == "seed":
            return w.BoundedIntText(value=value, min=max(lo, 1), max=hi, **common)
        return w.IntSlider(value=value, min=lo, max=hi, step=int(p.step or 1), **common)
    if p.type == "bool":
        common.pop("continuous_update")
        return w.Checkbox(value=bool(start), indent=False, **common)
    if p.type == "choice":
        common.pop("continuous_update")
        return w.Dropdown(options=list(p.choices), value=start or p.choices[0], **common)
    if p.type == "str_list":
        return w.Text(value="", placeholder="comma-separated", **common)
    return w.Text(value=str(start or ""), **common)


class ParamControls:
    """One row per table parameter with ``widget=True``: [use?] [control]."""

    def __init__(self, names: list[str] | None = None) -> None:
        self.params = [
            p for p in PARAMS.values() if p.widget and (names is None or p.name in names)
        ]
        self.controls: dict[str, w.Widget] = {p.name: _control(p) for p in self.params}
        self.enabled: dict[str, w.Checkbox] = {
            p.name: w.Checkbox(
                value=False,
                indent=False,
                layout=w.Layout(width="28px"),
                tooltip=f"send {p.name}",
            )
            for p in self.params
        }
        for name, control in self.controls.items():
            # Touching a control means "send it".
            control.observe(lambda _c, n=name: self._touch(n), names="value")
        self.widget = w.VBox(
            [w.HBox([self.enabled[p.name], self.controls[p.name]]) for p in self.params]
        )

    def _touch(self, name: str) -> None:
        self.enabled[name].value = True

    def values(self) -> ChatParams:
        out: dict[str, Any] = {}
        for name, control in self.controls.items():
            if not self.enabled[name].value:
                continue
            value = control.value
            if PARAMS[name].type == "str_list":
                value = [s.strip() for s in str(value).split(",") if s.strip()] or None
            if value is not None and value != "":
                out[name] = value
        return ChatParams.from_mapping(out)

    def set_values(self, params: ChatParams) -> None:
        for name, value in params.items():
            if name in self.controls:
                control = self.controls[name]
                control.value = ",".join(value) if isinstance(value, (list, tuple)) else value
                self.enabled[name].value = True

    def apply_model(self, model: ModelInfo | None, support: dict[str, str]) -> None:
        """Start from the model's published defaults; disable what the model cannot do."""
        for name, control in self.controls.items():
            if model is not None and name in model.defaults and not self.enabled[name].value:
                control.value = model.defaults[name]
                self.enabled[name].value = False  # a default is not a choice: keep it unsent
            capability = support.get(name)
            ok = model is None or capability is None or not model.lacks(capability)
            control.disabled = not ok
            self.enabled[name].disabled = not ok
            if not ok:
                self.enabled[name].value = False
            control.tooltip = (
                PARAMS[name].help if ok else f"{model.id if model else ''} lacks {capability}"
            )
