"""Markdown to safe HTML: rendering, the XSS policy, pathological input, and streaming."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it.parser_inline import ParserInline

import venice_jupyter.render._markdown as render_module
from testkit.hostile_corpus import PATHOLOGICAL
from venice_jupyter.render._blocks import make_markdown
from venice_jupyter.render._markdown import (
    STYLE_CSS,
    HighlightingRenderer,
    StreamingMarkdown,
    escape_text,
    render_markdown,
    wrap_html,
)
from venice_jupyter.render._tex import MAX_DOC_MATH, MAX_DOC_MATH_CHARS

ALLOWED_TAGS = {
    "div", "style", "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote",
    "pre", "code", "span", "em", "strong", "s", "a", "table", "thead", "tbody", "tr", "th",
    "td", "hr", "br",
}  # fmt: skip
ALLOWED_ATTRS = {"class", "href", "rel", "target", "title", "style", "data-lang", "start"}
SAFE_SCHEMES = ("http://", "https://", "mailto:")
# Stripped before the scheme check: what a browser strips, and invisible characters too.
IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


class _Page(HTMLParser):
    """Every tag, attribute and text node of an HTML fragment, entities decoded."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = self._in_style and tag != "style"

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)


def assert_safe(html: str) -> None:
    """No markup but ours: allowed tags and attributes only, safe links, our CSS only."""
    assert "<script" not in html.lower()
    page = _Page(html)
    for tag, attrs in page.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name in ALLOWED_ATTRS, (tag, name)
            if name == "href":
                cleaned = IGNORED_IN_URL.sub("", value or "").lower()
                assert cleaned.startswith(SAFE_SCHEMES), value
            if name == "style":
                assert tag in ("th", "td") and re.fullmatch(
                    r"text-align:(left|right|center)", value or ""
                )
    assert all(css == STYLE_CSS for css in page.styles)


def visible_text(html: str) -> str:
    return " ".join("".join(_Page(html).text).split())


def code_text(html: str) -> str:
    """The text a front end copies from the <pre> blocks: their <code> textContent, joined."""
    blocks = re.findall(r"<pre[^>]*><code>(.*?)</code></pre>", html, flags=re.DOTALL)
    return "".join("".join(_Page(b).text) for b in blocks)


def links(html: str) -> list[str]:
    return [
        v or "" for tag, attrs in _Page(html).tags if tag == "a" for k, v in attrs if k == "href"
    ]


def bare(html: str) -> str:
    """The blocks inside one wrap_html() output."""
    head = re.match(
        r'<div class="venice-md">(<style>.*?</style>)?<div class="venice-md-body.*?">', html
    )
    assert head is not None and html.endswith("</div></div>"), html[:200]
    return html[head.end() : -len("</div></div>")]


def body(text: str) -> str:
    html = render_markdown(text)
    assert_safe(html)
    return html


# --- rendering ---------------------------------------------------------------------------


def test_wrapper_has_one_scoped_style_and_ignores_mathjax_outside_math() -> None:
    html = render_markdown("hi")
    assert html.startswith('<div class="venice-md"><style>')
    assert html.count("<style>") == 1 and ".venice-md .venice-md-body .venice-code" in STYLE_CSS
    assert "mathjax_ignore" in html and "<p>hi</p>" in html
    assert "<style>" not in wrap_html("x", style=False)


def test_headings_lists_emphasis_strikethrough_inline_code() -> None:
    html = body("# Title\n\n## Sub\n\n*em* **strong** ~~gone~~ `x < y`\n\n- a\n- b\n\n3. c\n4. d\n")
    expected = ["<h1>Title</h1>", "<h2>Sub</h2>", "<em>em</em>", "<strong>strong</strong>"]
    expected += ["<s>gone</s>", "<code>x &lt; y</code>", "<li>a</li>", '<ol start="3">']
    assert [fragment for fragment in expected if fragment not in html] == []


def test_gfm_table_with_alignment() -> None:
    html = body("| a | b | c |\n|:--|--:|:-:|\n| 1 | 2 | 3 |\n")
    assert "<table>" in html and "<th" in html
    assert '<td style="text-align:right">2</td>' in html
    assert '<td style="text-align:center">3</td>' in html


def test_fenced_code_is_highlighted_with_its_language_and_copyable_text() -> None:
    code = 'def f(x):\n    return x * 2  # "double"\n\n\tindented <tag>\n'
    html = body(f"```python\n{code}```\n")
    assert '<pre class="venice-code" data-lang="python"><code>' in html
    assert '<span class="k">def</span>' in html
    assert code_text(html) == code  # textContent is the source, exactly


@pytest.mark.parametrize("info", ["nosuchlang", "", '"><script>alert(1)</script>', "py{evil}"])
def test_unknown_or_odd_language_is_plain_escaped_text(info: str) -> None:
    code = "<script>alert(1)</script> & 'q'\n"
    html = body(f"~~~{info}\n{code}~~~\n")
    assert code_text(html) == code
    assert "<span" not in html.split("<pre", 1)[1]
    assert 'data-lang="nosuchlang"' in html if info == "nosuchlang" else "data-lang" not in html


def test_indented_code_and_unclosed_fence_are_code() -> None:
    assert "<pre" in body("para\n\n    indented code\n")
    html = body("```js\nlet a = '<b>';\n\n# not a heading\n[x](javascript:alert(1))\n")
    assert "<h1>" not in html and links(html) == []
    assert "# not a heading" in visible_text(html)


def test_safe_links_open_in_a_new_tab_without_referrer() -> None:
    html = body(
        '[site](https://example.com/a?b=1&c=2 "Title") <http://example.org> <me@example.com>'
    )
    assert links(html) == [
        "https://example.com/a?b=1&c=2",
        "http://example.org",
        "mailto:me@example.com",
    ]
    assert html.count('rel="noopener noreferrer nofollow" target="_blank"') == 3
    assert 'title="Title"' in html


@pytest.mark.parametrize(
    "markdown",
    [
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java\nscript:alert(1))",
        "[x](<java\nscript:alert(1)>)",
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;&#x61;vascript:alert(1))",
        "[x](jav&#x09;ascript:alert(1))",
        "[x](java&#x0A;script:alert(1))",
        "[x](\u200bjavascript:alert(1))",
        "[x](\u202ejavascript:alert(1))",
        "[x]( javascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](vbscript:msgbox(1))",
        "[x](file:///etc/passwd)",
        "[x](/api/contents)",
        "[x](//evil.example)",
        "<javascript:alert(1)>",
        "<data:text/html,<script>alert(1)</script>>",
        "<vbscript:msgbox(1)>",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "![x](javascript:alert(1))",
        "![x](data:image/png;base64,iVBORw0KGgo=)",
        '<a href="javascript:alert(1)">x</a>',
    ],
)
def test_dangerous_links_are_text(markdown: str) -> None:
    assert links(body(markdown)) == []


def test_autolink_text_shows_hidden_characters() -> None:
    html = body("<https://exa\u200bmple.com/\u202egnp.exe>")
    assert links(html) == ["https://xn--example-2z6c.com/%E2%80%AEgnp.exe"]  # punycode host
    assert visible_text(html) == "https://exa\ufffdmple.com/\ufffdgnp.exe"


def test_bidi_controls_are_visible_in_text_and_code() -> None:
    html = body("access \u202elevel\u2066\n\n```python\nif x:  # \u202e } \u2066 if admin\n```\n")
    assert "\u202e" not in html and "\u2066" not in html
    assert html.count("\ufffd") == 4


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "text <img src=x onerror=alert(1)> more",
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<iframe src=javascript:alert(1)></iframe>",
        '<a href="javascript:alert(1)" onclick="alert(1)">x</a>',
        "<style>*{display:none}</style>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "<!-- <script>alert(1)</script> -->",
        "<details open ontoggle=alert(1)>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "`<script>` and ``<img onerror=x>``",
        '[<img src=x onerror=alert(1)>](https://ok.example "<b onmouseover=alert(1)>")',
        "| <script> | b |\n|--|--|\n| <img src=x onerror=alert(1)> | 2 |",
        "> <svg onload=alert(1)>",
    ],
)
def test_raw_html_is_escaped_text(markdown: str) -> None:
    html = body(markdown)
    assert [tag for tag, _ in _Page(html).tags].count("style") == 1  # ours, from wrap_html
    assert "<img" not in html and "<svg" not in html and "<iframe" not in html


def test_images_become_links_and_never_load() -> None:
    html = body('![a *cat*](https://example.com/cat.png "Cat") ![](https://example.com/x.png)')
    assert "<img" not in html
    assert links(html) == ["https://example.com/cat.png", "https://example.com/x.png"]
    assert '<a class="venice-image"' in html and ">a cat</a>" in html and ">image</a>" in html
    nested = body("[![icon](https://example.com/i.png)](https://example.com)")
    assert links(nested) == ["https://example.com"] and '<span class="venice-image">icon' in nested


@pytest.mark.parametrize(
    "markdown",
    [
        "$a_1 * b_2$",
        "\\(x_1 * y_1\\)",
        "$$\\sum_{i=1}^n i_k$$",
        "\\[a_b \\times c_d\\]",
        "$\\{x \\mid x > 0\\}$",
        "$$\nf(x) = \\begin{cases}\n-x & x<0 \\\\\nx & x \\ge 0\n\\end{cases}\n$$",
        "\\[\n- a_1 \\\\\n+ b_2\n\\]",
    ],
)
def test_math_is_kept_verbatim_for_mathjax(markdown: str) -> None:
    html = body(f"before {markdown} after" if "\n" not in markdown else markdown)
    spans = re.findall(r'class="venice-math[^"]*mathjax_process[^"]*">([^<]*)</', html)
    assert [s.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">") for s in spans] == [
        markdown
    ]
    assert "<em>" not in html and "<li>" not in html


def test_math_inside_code_stays_code() -> None:
    html = body("`$x_1$` and\n\n```\n$$y_2$$\n```\n")
    assert 'class="venice-math' not in html and "$x_1$" in html and "$$y_2$$" in html


@pytest.mark.parametrize(
    "markdown",
    [
        "It costs $5 and *then* $10, escaped \\$3.",
        "A lone $ sign, then *emphasis* and _more_ over\n\nseveral $paragraphs and **bold**.",
        "Unclosed \\( here *and* there",
        "$$ opened but never closed\n\n*still emphasised*",
        "$$\nnot closed\n\n- a list *item*",
    ],
)
def test_unbalanced_math_delimiters_swallow_nothing(markdown: str) -> None:
    html = body(markdown)
    assert 'class="venice-math' not in html
    assert "<em>" in html or "<strong>" in html


def test_dangerous_tex_is_shown_not_typeset() -> None:
    for tex in ("$\\href{javascript:alert(1)}{x}$", "$$\\style{color:red}{x}$$",
                "\\(\\require{action}\\)", "$\\newcommand{\\x}{y}\\x$"):  # fmt: skip
        html = body(tex)
        assert "mathjax_process" not in html and "venice-tex" in html, tex


@pytest.mark.parametrize(
    "sizes", [[10**9], [1], random.Random(3).choices(range(1, 200), k=300)],
    ids=["whole", "one character at a time", "random pieces"],
)  # fmt: skip
def test_math_past_the_answers_budget_is_shown_as_source(sizes: list[int]) -> None:
    spans = [f"$x_{{{i}}}$" for i in range(MAX_DOC_MATH + 50)]
    # Paragraphs of 20 spans, so a streamed answer finishes pieces along the way.
    text = "\n\n".join(" ".join(spans[i : i + 20]) for i in range(0, len(spans), 20)) + "\n"
    streamer, pieces = stream(text, sizes)
    for html in (streamer.full_html(), "".join(pieces) + streamer.tail_html()):
        typeset = re.findall(r'mathjax_process[^"]*">([^<]*)<', html)
        source = re.findall(r'<code class="venice-tex">([^<]*)<', html)
        assert typeset == spans[:MAX_DOC_MATH] and source == spans[MAX_DOC_MATH:]
    if sizes != [10**9]:
        assert len(pieces) > 10  # the count was carried across pieces, not just one render


def test_math_budget_counts_characters_too() -> None:
    span = "$" + "x+" * 2000 + "y$"  # 4,004 characters: typeset on its own
    fit = MAX_DOC_MATH_CHARS // len(span)
    html = render_markdown("\n\n".join([span] * (fit + 3)))
    assert html.count("mathjax_process") == fit and html.count('class="venice-tex"') == 3


def test_plain_text_and_delimiters_outside_math_are_not_typeset() -> None:
    html = render_markdown("\\begin{equation}x\\end{equation} and \\\\(y\\\\)")
    assert "mathjax_process" not in html and 'class="venice-md-body mathjax_ignore' in html


def test_escape_text() -> None:
    assert escape_text("<a href=\"x\" title='y'>&\u202e") == (
        "&lt;a href=&quot;x&quot; title=&#x27;y&#x27;&gt;&amp;\ufffd"
    )


def test_renderer_is_extended_by_subclassing() -> None:
    class Shouty(HighlightingRenderer):
        def code_inline(self, tokens: Any, idx: int, options: Any, env: Any) -> str:
            return "<code>" + escape_text(tokens[idx].content.upper()) + "</code>"

    html = render_markdown("`hi<`", md=make_markdown(Shouty))
    assert "<code>HI&lt;</code>" in html


# --- pathological input ------------------------------------------------------------------


def test_a_streamed_answer_spends_one_inline_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finished pieces are parsed one at a time, but the budget is the answer's: once spent,
    later paragraphs are not inline-parsed at all (each would have cost ~50 ms here)."""
    parsed = [0]
    parse = ParserInline.parse

    def counting(self: ParserInline, src: str, *args: Any) -> Any:
        parsed[0] += src.count("[")
        return parse(self, src, *args)

    monkeypatch.setattr(ParserInline, "parse", counting)
    text = PATHOLOGICAL["bracket paragraphs"]  # 200 paragraphs of 500 "[a"
    pieces = [text[i : i + 37] for i in range(0, len(text), 37)]
    streamer = StreamingMarkdown()
    for i, piece in enumerate(pieces):
        if i == len(pieces) // 2:
            halfway = parsed[0]
        streamer.feed(piece)
        streamer.take_finished()
        streamer.tail_html()
    assert halfway > 0 and parsed[0] == halfway


@pytest.mark.parametrize(("name", "markdown"), PATHOLOGICAL.items(), ids=list(PATHOLOGICAL))
def test_pathological_input_renders_safely(name: str, markdown: str) -> None:
    html = render_markdown(markdown)  # its cost is measured in bench/bench_hostile.py
    assert_safe(html)
    assert "after the list" in html, name


# --- streaming ---------------------------------------------------------------------------


def mixed_document(code_lines: int = 200) -> str:
    parts = [
        "# Streaming\n\nIntro with *emphasis*, `code`, $a_1 * b_2$ and [a link](https://a.example).\n"
        "A lazy second line.\n\n",
        "## A loose list\n\n",
        *(f"- item {i} **bold**\n\n  more of item {i}\n\n" for i in range(6)),
        "Setext heading\n--------------\n\n",
        "| name | value |\n|:-----|------:|\n",
        *(f"| row {i} | {i * 7} ~~x~~ |\n" for i in range(60)),
        "\nCode follows without a blank line:\n```python\n",
        *(
            f"def f{i}(x):  # {i}\n" if i % 3 == 0 else f"    return x * {i}\n"
            for i in range(code_lines)
        ),
        "```\n\n> a quote\nlazy continuation\n\n1. one\n2. two\n\n3. three\n\n",
        "$$\n\\sum_{i=1}^n i = \\frac{n(n+1)}{2}\n$$\n\n",
        "```\nshort unknown fence\n```\n\nThe end.\n",
    ]
    return "".join(parts)


def stream(text: str, sizes: list[int]) -> tuple[StreamingMarkdown, list[str]]:
    """Feed text in pieces of the given sizes (cycled); return the stream and finished pieces."""
    streamer = StreamingMarkdown()
    pieces: list[str] = []
    pos = i = 0
    while pos < len(text):
        size = sizes[i % len(sizes)]
        streamer.feed(text[pos : pos + size])
        pieces += streamer.take_finished()
        pos, i = pos + size, i + 1
    assert streamer.take_finished() == []
    return streamer, pieces


@pytest.mark.parametrize(
    "sizes",
    [[1], random.Random(7).choices(range(1, 40), k=500), [10**9]],
    ids=["one character at a time", "random pieces", "all at once"],
)
def test_streamed_pieces_and_tail_show_what_full_html_shows(sizes: list[int]) -> None:
    text = mixed_document()
    streamer, pieces = stream(text, sizes)
    tail = streamer.tail_html()
    full = streamer.full_html()
    assert full == render_markdown(text)
    assert visible_text(wrap_html("".join(pieces) + tail)) == visible_text(full)
    for html in [*pieces, tail]:
        assert_safe(html)
    assert len(pieces) >= 10 and len(set(pieces)) == len(pieces)
    loose_lists = [p for p in pieces if "item 0" in p or "item 5" in p]
    assert len(loose_lists) == 1 and loose_lists[0].count("<li>") == 6  # never split
    if sizes != [10**9]:  # while it streams, the 200-line code block is split
        assert sum("venice-code-cont" in p for p in pieces) >= 5


def test_every_string_is_a_wrapped_output_and_the_style_is_shown_once() -> None:
    streamer = StreamingMarkdown()
    shown: list[str] = []
    for line in mixed_document().splitlines(keepends=True):
        streamer.feed(line)
        shown += streamer.take_finished()
        page = "".join(shown) + streamer.tail_html()
        assert page.count("<style>") == 1
    for html in [*shown, streamer.tail_html()]:
        assert "mathjax_ignore" in html and bare(html)  # each a whole wrap_html() output
    assert "<style>" in shown[0] and "<style>" not in streamer.tail_html()


def test_tail_stays_small_while_a_long_answer_streams() -> None:
    text = mixed_document(code_lines=290)
    lines = text.splitlines(keepends=True)
    assert len(lines) >= 400
    streamer = StreamingMarkdown()
    tail_total = 0
    for line in lines:
        streamer.feed(line)
        streamer.take_finished()
        tail_total += len(streamer.tail_html())
    final = len(streamer.full_html())
    # Re-rendering everything after each line would send about final * lines / 2; sample it.
    rerender_total = sum(
        len(render_markdown("".join(lines[:n]))) * 20 for n in range(10, len(lines), 20)
    )
    assert tail_total < 20 * final
    assert rerender_total > 10 * tail_total


@pytest.mark.parametrize(
    ("text", "max_tail"),
    [
        ("".join(f"Paragraph {i} with *some* words.\n\n" for i in range(2_000)), 200),
        ("".join(f"- tight item {i} with *words*\n" for i in range(2_000)), None),
        ("".join(f"> quoted line {i}\n" for i in range(2_000)), None),
        ("```python\n" + "".join(f"x = {i}\n" for i in range(2_000)), 1_000),
        ("| a | b |\n|---|---|\n" + "".join(f"| {i} | x |\n" for i in range(2_000)), 1_000),
    ],
    ids=["paragraphs", "one long list", "one long quote", "one long fence", "one long table"],
)
def test_parsing_cost_is_linear_in_the_answer(text: str, max_tail: int | None) -> None:
    md = make_markdown(HighlightingRenderer)
    parsed: list[int] = []
    real_parse = md.parse

    def counting_parse(src: str, env: Any = None) -> Any:
        parsed.append(len(src))
        return real_parse(src, env)

    md.parse = counting_parse  # type: ignore[method-assign]
    streamer = StreamingMarkdown(md=md)
    for piece in re.findall(r".{1,7}", text, flags=re.DOTALL):
        streamer.feed(piece)
        streamer.take_finished()
    assert sum(parsed) < 10 * len(text)  # re-parsing everything would be ~1,000 times
    if max_tail is not None:  # blocks that finish, or split, keep the parsed tail small
        assert max(parsed) < max_tail


def test_long_code_block_streams_in_pieces_with_the_same_language() -> None:
    code = "".join(f"print({i})  # line {i}\n" for i in range(200))
    streamer, pieces = stream(f"Intro.\n\n```python\n{code}", [13])
    assert all('data-lang="python"' in p for p in pieces[1:])
    assert bare(streamer.tail_html()).count("\n") <= 2 * render_module.CHUNK_LINES
    streamer.feed("```\n")
    pieces += streamer.take_finished()
    joined = "".join(pieces) + streamer.tail_html()
    assert code_text(joined) == code == code_text(streamer.full_html())


def test_long_table_streams_in_pieces_with_one_header() -> None:
    rows = "".join(f"| {i} | v{i} |\n" for i in range(100))
    text = f"| key | value |\n|---|---|\n{rows}\nAfter.\n"
    streamer, pieces = stream(text, [5])
    joined = "".join(pieces) + streamer.tail_html()
    assert len(pieces) >= 3 and joined.count("<thead>") == 1
    assert visible_text(joined) == visible_text(streamer.full_html())


def test_unclosed_fence_stays_in_the_tail() -> None:
    streamer, pieces = stream("Intro.\n\n```python\nx = 1\n\n\ny = 2\n", [3])
    assert len(pieces) == 1 and "Intro." in pieces[0]
    assert "x" in streamer.tail_html() and "<pre" in streamer.tail_html()


@pytest.mark.parametrize(
    "text",
    [
        "Title\n=====\n\nnext\n",
        "para\nlazy line\n\nnext\n",
        "> quote\nlazy\n\nnext\n",
        "- a\n\n  indented continuation\n\n- b\n\nnext\n",
        "1. a\n\n2. b\n\n   more b\n\nnext\n",
        "- a\n\n      indented code in the item\n\nnext\n",
    ],
)
def test_blocks_are_not_cut_before_they_are_finished(text: str) -> None:
    for sizes in ([1], [10**9]):
        streamer, pieces = stream(text, sizes)
        shown = "".join(map(bare, [*pieces, streamer.tail_html()]))
        assert shown == make_markdown(HighlightingRenderer).render(text)
        assert "next" in streamer.tail_html() and "next" not in "".join(pieces)


def test_partial_line_is_in_the_tail() -> None:
    streamer = StreamingMarkdown()
    streamer.feed("Hello *wor")
    assert streamer.take_finished() == [] and "Hello *wor" in streamer.tail_html()
    streamer.feed("ld*")
    assert "<em>world</em>" in streamer.tail_html()


def test_line_endings_are_normalised_across_pieces() -> None:
    streamer, pieces = stream("a\r\n\r\nb\rc\r\n\r\nd\0", [1])
    assert streamer.full_html() == render_markdown("a\n\nb\nc\n\nd\ufffd")
    assert visible_text("".join(pieces) + streamer.tail_html()) == "a b c d\ufffd"


def test_reference_definitions_from_finished_text_are_carried_forward() -> None:
    text = "[docs]: https://docs.example\n\nIntro.\n\n" + "Para.\n\n" * 20 + "See [docs].\n"
    streamer, pieces = stream(text, [4])
    assert "Intro." in pieces[0]  # the definition is in finished text
    assert links("".join(pieces) + streamer.tail_html()) == ["https://docs.example"]


FRAGMENTS = [
    "<", ">", "&", '"', "'", "[", "]", "(", ")", "!", "*", "_", "`", "```", "$", "$$", "\\",
    "\\(", "\n", "\n\n", " ", "  ", "-", "1.", "#", "|", "|-|", "~~", ":", "javascript:",
    "https://x.example", "<script>", "onerror=", "&#106;", "\u202e", "a", "b",
]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60))
def test_any_markdown_renders_safely_whole_or_streamed(fragments: list[str]) -> None:
    text = "".join(fragments)
    assert_safe(render_markdown(text))
    streamer, pieces = stream(text, [3])
    for html in [*pieces, streamer.tail_html()]:
        assert_safe(html)
