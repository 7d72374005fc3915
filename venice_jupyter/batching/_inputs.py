"""What a batch is asked to do, as rows: a prompt (and images) per input row, checked first.

    rows_from(prompts, template, images) -> Inputs     raises ParameterError, nothing sent

``prompts`` is a list (or tuple) of strings, a pandas Series of strings, a list of dicts or a
pandas DataFrame. A ``template`` has ``{name}`` placeholders (``request.interpolate``): a
DataFrame's or a dict's columns, or ``{prompt}`` for a list or Series. pandas is never
imported here: its objects are recognised by what they offer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from venice_jupyter.errors import ParameterError
from venice_jupyter.request import interpolate

__all__ = ["Inputs", "RowInput", "rows_from"]

NOTHING_SENT = "Nothing was sent."


@dataclass(frozen=True)
class RowInput:
    label: Any  # the input's index label (a DataFrame's or Series' index), else the position
    prompt: str
    images: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Inputs:
    rows: list[RowInput]
    index_name: Any = None  # the input index's name, kept for the result table


def _is_frame(obj: Any) -> bool:
    return hasattr(obj, "columns") and hasattr(obj, "itertuples") and hasattr(obj, "index")


def _is_series(obj: Any) -> bool:
    return hasattr(obj, "index") and hasattr(obj, "items") and hasattr(obj, "dtype")


class _Row(dict[str, Any]):
    """A row's values as a template namespace that remembers which name it lacked."""

    missing: str | None = None

    def __missing__(self, key: str) -> Any:
        self.missing = key
        raise KeyError(key)


def _fill(template: str, values: Mapping[str, Any], label: Any, what: str) -> str:
    row = _Row(values)
    try:
        return interpolate(template, row)
    except ParameterError as err:
        if row.missing is None:  # a bad attribute, index or format spec: that message fits
            err.message = f"Row {label!r}: {err.message} {NOTHING_SENT}"
            err.args = (err.message,)
            raise
        names = ", ".join(map(str, values)) or "(none)"
        raise ParameterError(
            "template",
            f"{{{row.missing}}}",
            f"a placeholder naming {what}: {names}",
            hint=f"Row {label!r} has no {row.missing!r}. {NOTHING_SENT}",
        ) from None


def _images_for(images: Any, n: int, columns: Sequence[Any] | None) -> list[Any] | str | None:
    """``images`` as a column name, one entry per row, or None; checked against the input."""
    if images is None:
        return None
    if isinstance(images, str):
        if columns is None or images not in columns:
            allowed = "the name of a DataFrame column holding each row's image(s)"
            raise ParameterError("images", images, allowed, hint=NOTHING_SENT)
        return images
    entries = list(images)
    if len(entries) != n:
        raise ParameterError(
            "images", f"{len(entries)} entries", f"one entry (an image, a list or None) per "
            f"prompt: {n}", hint=NOTHING_SENT,
        )  # fmt: skip
    return entries


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(v for v in value if v is not None)
    return (value,)


def _check_prompt(label: Any, value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ParameterError(
            where, value, "a string (the prompt)",
            hint=f"Use template= to build prompts from other values. {NOTHING_SENT}",
        )  # fmt: skip
    if not value.strip():
        raise ParameterError(where, value, "a prompt that is not blank", hint=NOTHING_SENT)
    return value


def rows_from(prompts: Any, template: str | None = None, images: Any = None) -> Inputs:
    """Every input row as a ``RowInput``, in input order; the first problem raises."""
    if template is not None and (not isinstance(template, str) or not template.strip()):
        raise ParameterError("template", template, "a non-empty string with {column} placeholders")
    if isinstance(prompts, (str, bytes)):
        raise ParameterError(
            "prompts", prompts, "a list of prompts, a pandas Series or a DataFrame",
            hint="For one prompt, use venice_jupyter.chat(). Nothing was sent.",
        )  # fmt: skip
    if _is_frame(prompts):
        return _from_frame(prompts, template, images)
    if isinstance(prompts, Mapping):
        raise ParameterError(
            "prompts", prompts, "a list of prompts, a pandas Series or a DataFrame",
            hint="For named prompts, use a Series or a list of dicts. Nothing was sent.",
        )  # fmt: skip
    if _is_series(prompts):
        labels, values = list(prompts.index), list(prompts)
        name = prompts.name if isinstance(prompts.name, str) else None
        index_name = prompts.index.name
    elif isinstance(prompts, Sequence) or hasattr(prompts, "__iter__"):
        values = list(prompts)
        labels, name, index_name = list(range(len(values))), None, None
    else:
        raise ParameterError(
            "prompts", prompts, "a list of prompts, a pandas Series or a DataFrame"
        )
    if not values:
        raise ParameterError("prompts", values, "at least one prompt", hint=NOTHING_SENT)
    per_row = _images_for(images, len(values), None)
    rows = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        where = f"prompts[{label!r}]"
        if template is not None and isinstance(value, Mapping):
            prompt = _fill(template, {str(k): v for k, v in value.items()}, label, "a key")
        elif template is not None:
            names = {"prompt": _check_prompt(label, value, where)}
            if name:
                names[name] = value
            prompt = _fill(template, names, label, "the prompt")
        else:
            prompt = _check_prompt(label, value, where)
        if not prompt.strip():
            raise ParameterError(where, prompt, "a prompt that is not blank", hint=NOTHING_SENT)
        rows.append(RowInput(label, prompt, _as_tuple(per_row[i]) if per_row else ()))
    return Inputs(rows, index_name)


def _from_frame(frame: Any, template: str | None, images: Any) -> Inputs:
    columns = list(frame.columns)
    if template is None:
        if "prompt" not in columns:
            raise ParameterError(
                "template", None, "a template naming the DataFrame's columns, e.g. "
                "template='Classify: {text}' (or a column named 'prompt')", hint=NOTHING_SENT,
            )  # fmt: skip
        template = "{prompt}"
    if len(frame.index) == 0:
        raise ParameterError("prompts", "an empty DataFrame", "at least one row", hint=NOTHING_SENT)
    per_row = _images_for(images, len(frame.index), columns)
    rows = []
    for i, (label, record) in enumerate(zip(frame.index, frame.to_dict("records"), strict=True)):
        values = {str(k): v for k, v in record.items()}
        prompt = _fill(template, values, label, "a column")
        if not prompt.strip():
            raise ParameterError(
                f"prompts[{label!r}]", prompt, "a prompt that is not blank", hint=NOTHING_SENT
            )
        found = record[per_row] if isinstance(per_row, str) else per_row[i] if per_row else None
        rows.append(RowInput(label, prompt, _as_tuple(found)))
    return Inputs(rows, frame.index.name)
