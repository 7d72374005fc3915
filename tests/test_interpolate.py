"""Placeholders are filled; every other brace in a cell reaches the model exactly as written."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from venice_jupyter.errors import ParameterError
from venice_jupyter.request._template import interpolate

NS: dict[str, Any] = {
    "x": 5,
    "name": "Ann",
    "pi": 3.14159,
    "data": {"k": [10, 20], 'q"k': 1, 3: "int-key"},
    "obj": SimpleNamespace(attr=SimpleNamespace(deep="D"), items=["a", "b"]),
    "In": ["", "a = 1", "print(a)", "df.describe()"],
    "Out": {3: "the description"},
    "match": "soft keyword is a fine name",
    "_": "last output",
    "ünï": "unicode name",
}

CASES = [
    # plain placeholders
    ("{x}", "5"),
    ("Hello {name}!", "Hello Ann!"),
    ("{x}{x} {name}", "55 Ann"),
    ("{_} / {match} / {ünï}", "last output / soft keyword is a fine name / unicode name"),
    # conversion and simple format specs
    ("{name!r}", "'Ann'"),
    ("{x!s}", "5"),
    ("{pi:.2f}", "3.14"),
    ("{x:>4}|", "   5|"),
    ("{x:*^7}", "***5***"),
    ("{x!r:>3}", "  5"),
    ("{pi:,.1%}", "314.2%"),
    # attribute and index access
    ("{obj.attr.deep}", "D"),
    ("{obj.items[1]}", "b"),
    ("{data['k'][0]}", "10"),
    ('{data["k"][-1]}', "20"),
    ("{data[3]}", "int-key"),
    # IPython's In (a list) and Out (a dict keyed by int)
    ("Explain {In[3]}", "Explain df.describe()"),
    ("{Out[3]}", "the description"),
    # escapes: only a placeholder needs them, and they work as in str.format
    ("{{x}}", "{x}"),
    ("{{name!r:>5}}", "{name!r:>5}"),
    ("{{{x}}}", "{5}"),
    ("{{{{x}}}}", "{{x}}"),
    ("{{x}", "{5"),
    ("{x}}", "5}"),
    # JSON is left alone, nested or not, but a placeholder inside it is filled
    ('{"a": 1}', '{"a": 1}'),
    ('{"a": {"b": [1, {"c": 2}]}}', '{"a": {"b": [1, {"c": 2}]}}'),
    ('{"user": {name}}', '{"user": Ann}'),
    ('{"user": "{name}"}', '{"user": "Ann"}'),
    ("{{}}", "{{}}"),
    # code is left alone
    ("function f() { return x; }", "function f() { return x; }"),
    ("if (a) {\n  b();\n}}", "if (a) {\n  b();\n}}"),
    ("int main() {{ return 0; }}", "int main() {{ return 0; }}"),
    ("```js\nconst o = {a: 1, b: [2]};\n```", "```js\nconst o = {a: 1, b: [2]};\n```"),
    ("```python\nd = {k: v for k, v in xs}\n```", "```python\nd = {k: v for k, v in xs}\n```"),
    ("```rust\nfn f() -> u8 {{ 1 }}\n```", "```rust\nfn f() -> u8 {{ 1 }}\n```"),
    ("```\n{x}\n```", "```\n{x}\n```"),  # code reaches the model byte for byte
    # not placeholders: empty, expressions, spaces, keywords, calls, complex specs
    ("{}", "{}"),
    ("{1+2}", "{1+2}"),
    ("{ x }", "{ x }"),
    ("{x }", "{x }"),
    ("{x + 1}", "{x + 1}"),
    ("{x()}", "{x()}"),
    ("{x.}", "{x.}"),
    ("{x[a]}", "{x[a]}"),
    ("{x: 1}", "{x: 1}"),
    ("{x:}", "{x:}"),
    ("{x!a}", "{x!a}"),
    # a nested spec is not simple: the outer braces stay, the inner placeholder is filled
    ("{x:{pi}}", "{x:3.14159}"),
    ("{return}", "{return}"),
    ("{None} {True}", "{None} {True}"),
    ("{2x}", "{2x}"),
    ("{a,b}", "{a,b}"),
    ("a { b } c", "a { b } c"),
    # f-string-like and template text
    ('f"{x + 1}"', 'f"{x + 1}"'),
    ("Jinja: {{ user.name }} and {% if x %}", "Jinja: {{ user.name }} and {% if x %}"),
    ("LaTeX $\\frac{1}{2}$", "LaTeX $\\frac{1}{2}$"),
    # stray braces
    ("}", "}"),
    ("}}{{", "}}{{"),
    ("{", "{"),
    ("{x", "{x"),
    ("{{{", "{{{"),
    ("", ""),
    ("no braces at all", "no braces at all"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_interpolate(text: str, expected: str) -> None:
    assert interpolate(text, NS) == expected


def test_missing_variable_names_the_placeholder_and_the_escape() -> None:
    with pytest.raises(ParameterError) as info:
        interpolate("line one\nSummarise {report} please", NS)
    message = str(info.value)
    assert "{report}" in message
    assert "line 2" in message
    assert "No variable named 'report' exists in the notebook" in message
    assert "{{report}}" in message


@pytest.mark.parametrize(
    ("text", "shown", "error"),
    [
        ("{obj.nope}", "obj.nope", "AttributeError"),
        ("{obj.attr.deep.nope}", "obj.attr.deep.nope", "AttributeError"),
        ("{In[99]}", "In[99]", "IndexError"),
        ("{Out[1]}", "Out[1]", "KeyError"),
        ("{data['missing']}", "data['missing']", "KeyError"),
        ("{x[0]}", "x[0]", "TypeError"),
    ],
)
def test_lookup_errors_name_the_placeholder_and_the_error(
    text: str, shown: str, error: str
) -> None:
    with pytest.raises(ParameterError) as info:
        interpolate(text, NS)
    message = str(info.value)
    assert text in message and f"Looking up {shown} failed with {error}" in message
    assert "{" + text + "}" in message  # the escape to send it literally


def test_bad_format_spec_for_the_value_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match=r"\{name:\.2f\}.*Unknown format code"):
        interpolate("{name:.2f}", NS)


def test_escaped_placeholder_needs_no_variable() -> None:
    assert interpolate("{{undefined_name}}", {}) == "{undefined_name}"


def test_no_code_is_evaluated() -> None:
    calls: list[str] = []

    class Spy:
        def __call__(self) -> str:
            calls.append("called")
            return "x"

    text = "{spy()} {__import__('os').getcwd()} {spy.__call__()}"
    assert interpolate(text, {"spy": Spy()}) == text
    assert calls == []


def test_value_str_is_used_once_per_placeholder() -> None:
    class Counted:
        count = 0

        def __str__(self) -> str:
            Counted.count += 1
            return "C"

    assert interpolate("{c} {c!s} {c!r:.0}", {"c": Counted()}) == "C C "
    assert Counted.count == 2


MB = 1 << 20


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("{x}" * (MB // 3), id="placeholders"),
        pytest.param('{"a": [1, {"b": 2}]} ' * (MB // 21), id="json"),
        pytest.param("{" * MB, id="open-braces"),
        pytest.param("}" * MB, id="close-braces"),
        pytest.param("{x['" * (MB // 4), id="unclosed-keys"),
        pytest.param("{x." * (MB // 3), id="unclosed-attrs"),
        pytest.param("{{x}" * (MB // 4), id="half-escapes"),
        pytest.param("{x:" + "1" * MB, id="long-spec"),
    ],
)
def test_one_megabyte_cell_is_filled_as_written(text: str) -> None:
    # A quadratic scan takes minutes on these (the suite's timeout would stop it); what a linear
    # one costs is measured in bench/bench_hostile.py.
    filled = interpolate(text, {"x": 1})
    if text.startswith("{x}"):
        assert filled == "1" * (MB // 3)
    elif text.startswith("{{x}"):
        assert filled == "{1" * (MB // 4)  # one brace pairs: filled; the other is literal
    else:
        assert filled == text  # nothing else in them is a placeholder


def test_one_megabyte_cell_with_an_error_at_the_end() -> None:
    text = "ok {x}\n" * (MB // 7) + "{missing}"
    with pytest.raises(ParameterError, match=rf"line {MB // 7 + 1}\)"):
        interpolate(text, {"x": 1})
