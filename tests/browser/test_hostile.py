"""Hostile model output in JupyterLab: every case of the corpus, served by the offline server as a
model's answer and rendered through the ``%%venice`` magic, the panel and the compare view.

The page is armed before it loads: ``window.__pwned`` records a payload that ran, a dialog
handler records any ``alert``, and a MutationObserver (started once the notebook is open and
warmed up) records what appears outside the output areas. After each batch: nothing ran, the
page around the outputs is unchanged, no element a payload would create exists, every rendered
answer holds only inert markup in the live DOM and still shows its marker as text, and the kernel
answers ``1+1`` promptly. The figure ``attacks rendered inert: n/n`` is printed per path.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Dialog, Page, Route, expect

from testkit.hostile_corpus import BATCHED, SOLO, Case
from tests.browser.jupyter import JupyterServer
from tests.browser.notebook import EXECUTED, NotebookPage, open_notebook
from venice_jupyter.offline import Fault, OfflineServer
from venice_jupyter.render._markdown import STYLE_CSS

PATHS = ("magic", "panel", "compare")
MODELS = "venice-offline,venice-offline-small"
WARM_UP = "Warm-up: $x^2 + y_1$, `code`, **bold** and [a link](https://example.com).\n\n" + (
    "```python\nx = 1\n```\n"
)
RESPONSIVE_S = 10.0  # generous: a 1+1 cell after a batch (seen well under a second)
BATCH_TIMEOUT_MS = 300_000
SOLO_TIMEOUT_MS = 240_000
MARKER_TIMEOUT_MS = 5_000

# Runs in every frame before the page's own scripts.
INIT_SCRIPT = r"""
(() => {
  window.__hits = [];
  window.__pwned = (name) => {
    (window.__hits ||= []).push(String(name));
    if (window.top !== window) { try { window.top.__pwned(name); } catch (e) {} }
  };
  window.__outside = [];
  const DANGER = 'script,iframe,frame,object,embed,base,meta,form,img,style,link';
  const MARKED = '[id*="pwn" i],[class*="pwn" i],[name*="pwn" i]';
  const inOutput = (node) => !!(node.closest && node.closest('.jp-OutputArea'));
  const describe = (el) => el.outerHTML.slice(0, 200);
  const note = (what) => window.__outside.push(what);
  window.__watch = () => {
    const ours = location.origin;
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === 'attributes') {
          if ([document.documentElement, document.head, document.body].includes(r.target)) {
            const value = r.target.getAttribute(r.attributeName);
            note(`attribute ${r.attributeName}=${value} on <${r.target.localName}>`);
          }
          continue;
        }
        for (const node of r.addedNodes) {
          if (node.nodeType !== 1) continue;
          const els = [node, ...node.querySelectorAll('*')];
          for (const el of els) {
            if (el.matches(MARKED)) note(`marked element ${describe(el)}`);
            for (const a of el.attributes) {
              if (/^on/i.test(a.name)) note(`handler ${a.name} on ${describe(el)}`);
            }
            if (inOutput(el) || !el.matches(DANGER)) continue;
            // Lab loads code and CSS lazily from its own origin, and MathJax replaces its own
            // stylesheet as it typesets: neither is the answer's doing.
            const src = el.getAttribute('src') || el.getAttribute('href') || '';
            const ownCode = ['script', 'link'].includes(el.localName)
              && src !== '' && new URL(src, location.href).origin === ours;
            const mathjax = el.localName === 'style' && el.id === 'MJX-CHTML-styles';
            if (!ownCode && !mathjax) note(`${el.localName} outside the outputs: ${describe(el)}`);
          }
        }
      }
    }).observe(document.documentElement, {subtree: true, childList: true, attributes: true,
                                          attributeFilter: ['class', 'style', 'dir', 'lang',
                                          'data-jp-theme-name', 'data-jp-theme-light', 'id',
                                          'href', 'target']});
  };
})();
"""

# The page around the outputs: must be the same after a batch as before it.
SNAPSHOT = """
() => ({
  url: location.href,
  title: document.title,
  html: [...document.documentElement.attributes].map(a => `${a.name}=${a.value}`).sort(),
  body: [...document.body.attributes].map(a => `${a.name}=${a.value}`).sort(),
  // webpack removes a chunk's <script> once it ran; the observer sees any other script.
  head: [...document.head.children].filter(e => e.localName !== 'script')
    .map(e => `${e.localName}#${e.id}`),
  base: document.querySelectorAll('base').length,
  toolbar: document.querySelector('.jp-NotebookPanel-toolbar')?.innerText ?? null,
})
"""

# Elements a payload would create, anywhere in the document.
MARKED_COUNT = """
() => document.querySelectorAll('[id*="pwn" i],[class*="pwn" i],[name*="pwn" i]').length
"""

# What the browser actually built for one answer: our tags only (MathJax's inside its
# containers, the labextension's code buttons), no handler, no link but http(s)/mailto.
INSPECT = r"""
(root, css) => {
  const ALLOWED = new Set(['div', 'style', 'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol',
    'li', 'blockquote', 'pre', 'code', 'span', 'em', 'strong', 's', 'a', 'table', 'thead',
    'tbody', 'tr', 'th', 'td', 'hr', 'br', 'button']);
  const URLS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'srcdoc', 'data']);
  const IGNORED = /[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
  const out = [];
  for (const el of root.querySelectorAll('*')) {
    const tag = el.localName;
    const math = el.closest('mjx-container') !== null;
    if (!math && !tag.startsWith('mjx-') && !ALLOWED.has(tag)) out.push(`tag <${tag}>`);
    if (tag === 'button' && !el.classList.contains('venice-code-button')) out.push('a button');
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith('on')) out.push(`${name} on <${tag}>`);
      if (URLS.has(name) && !/^(https?:\/\/|mailto:)/i.test(a.value.replace(IGNORED, ''))) {
        out.push(`${name}=${a.value.slice(0, 80)} on <${tag}>`);
      }
      const align = /^text-align: ?(left|right|center);?$/.test(a.value);
      if (name === 'style' && !math && !tag.startsWith('mjx-')
          && !(['th', 'td'].includes(tag) && align)) {
        out.push(`style=${a.value.slice(0, 80)} on <${tag}>`);
      }
    }
  }
  // The only <style> is the wrapper's own, first in it, with our CSS.
  for (const s of root.querySelectorAll('style')) {
    if (s !== root.firstElementChild || s.textContent !== css) out.push('a <style> not ours');
  }
  return out;
}
"""


@dataclass
class Armed:
    """The page hooks' findings, read back after a batch."""

    page: Page
    origin: str  # the Jupyter server's; a request anywhere else is the answer's doing
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def off_server(self, url: str) -> bool:
        return not url.startswith((self.origin + "/", "data:", "blob:", "about:"))

    def on_off_server(self, route: Route) -> None:
        """Recorded, and answered here with nothing: the test machine never calls out."""
        self.requests.append(f"{route.request.method} {route.request.url[:200]}")
        route.fulfill(status=204, body="")

    def hits(self) -> list[str]:
        return list(self.page.evaluate("window.__hits"))

    def outside(self) -> list[str]:
        return list(self.page.evaluate("window.__outside"))


@pytest.fixture
def armed(page: Page, jupyter: JupyterServer) -> Iterator[Armed]:
    """The page with the recorder, the dialog and request handlers and the (not yet started)
    observer."""
    page.add_init_script(INIT_SCRIPT)
    state = Armed(page, jupyter.url)
    page.on("dialog", state.on_dialog)
    page.route(state.off_server, state.on_off_server)
    yield state


# --- the three paths ------------------------------------------------------------------------
#
# The magic and the compare view: one notebook per batch, a cell (pair) per case, all run at
# once and checked at the end. The panel: one panel, every case sent through it in turn and
# checked before the next (a panel is ~250 widgets; one per case would send ~14,000 comm_opens
# in seconds, more than the kernel's iopub queue holds while the server lags).

LOAD = "%load_ext venice_jupyter\nimport venice_jupyter\nseq = 0"
MAGIC = "%%venice --no-history\nAnswer me."
PANEL = ["p = venice_jupyter.panel()\np", 'p.clear(conversation=True)\np.ask("Answer me.")',
         # The wait, then an inert sentinel after the final answer: its number says which
         # send the widget shows.
         "r = await p.wait()\nseq += 1\n"
         "p.output.value += f'<span class=\"hostile-seq\" data-seq=\"{seq}\"></span>'"]  # fmt: skip


def compare_cells(i: int) -> list[str]:
    return [f"%%venice --compare {MODELS} --no-history --out v{i}\nAnswer me.",
            f"r{i} = await v{i}.wait()"]  # fmt: skip


@dataclass
class Outcome:
    path: str
    inert: list[str]  # cases whose answers are inert and shown, if the page-wide checks pass
    failures: dict[str, list[str]]  # per case
    page_wide: list[str]  # not attributable to one case: then no case of the batch counts

    @property
    def figure(self) -> str:
        total = len(self.inert) + len(self.failures)
        inert = 0 if self.page_wide else len(self.inert)
        return f"{self.path}: attacks rendered inert: {inert}/{total}"


def normalise(text: str) -> str:
    return " ".join(text.split())


def check_answers(nb: NotebookPage, case: Case, index: int, expected: int) -> list[str]:
    """What is wrong with one case's rendered answer(s); [] when inert and shown as text."""
    found: list[str] = []
    roots = nb.cell(index).locator(".venice-md")
    if roots.count() != expected:
        return [f"{roots.count()} answers rendered, expected {expected}"]
    for k in range(expected):
        root = roots.nth(k)
        found += root.evaluate(INSPECT, STYLE_CSS)
        if case.marker is not None:
            # Lab skips the rendering of cells out of view (content-visibility): bring it in
            # view and let the assertion wait for the text to be laid out.
            root.scroll_into_view_if_needed()
            try:
                expect(root).to_contain_text(
                    normalise(case.marker), use_inner_text=True, timeout=MARKER_TIMEOUT_MS
                )
            except AssertionError:
                shown = normalise(root.inner_text())[:300]
                found.append(f"marker {case.marker[:60]!r} not shown as text; shown: {shown!r}")
    errors = nb.cell(index).locator('.jp-OutputArea-output[data-mime-type*="error"]')
    if errors.count():
        found.append(f"error output: {errors.first.inner_text()[:300]}")
    return found


def wait_final(nb: NotebookPage, path: str, index: int, timeout: float) -> None:
    """Until the cell's answer(s) are final: the footer, or both compare columns' stats."""
    cell = nb.cell(index)
    if path == "compare":
        done = cell.locator(".venice-compare-stats", has_text="tok")
        expect(done).to_have_count(2, timeout=timeout)
    else:
        expect(cell.locator(".venice-footer")).to_have_count(1, timeout=timeout)


def inject(offline: OfflineServer, path: str, text: str) -> None:
    offline.inject(Fault("reply", text=text, times=2 if path == "compare" else 1))


class Batch:
    """One notebook, armed and warmed up; ``run`` renders the cases, ``finish`` checks the page."""

    def __init__(
        self, armed: Armed, jupyter: JupyterServer, offline: OfflineServer, path: str
    ) -> None:
        self.armed, self.jupyter, self.offline, self.path = armed, jupyter, offline, path
        self.failures: dict[str, list[str]] = {}
        self.inert: list[str] = []
        self.sent = 0  # answers the panel has shown

    def open(self, cases: list[Case]) -> None:
        path = self.path
        if path == "magic":
            cells = [LOAD, *[MAGIC] * (len(cases) + 1), "1+1"]  # the first one warms up
            setup, self.targets = [0, 1], list(range(2, len(cases) + 2))
        elif path == "compare":
            pairs = [c for i in range(len(cases) + 1) for c in compare_cells(i)]
            cells = [LOAD, *pairs, "1+1"]
            setup, self.targets = [0, 1, 2], list(range(3, 2 * len(cases) + 3, 2))
        else:
            cells = [LOAD, *PANEL, "1+1"]
            setup, self.targets = [0, 1, 2, 3], [1] * len(cases)
        self.nb = nb = open_notebook(self.armed.page, self.jupyter, cells)
        self.last = len(cells) - 1
        # Warm up (extension, widgets, MathJax, the reply renderer), then the "before" picture.
        inject(self.offline, path, WARM_UP)
        for index in setup:
            nb.run(index, timeout=60_000)
        wait_final(nb, path, 1, 60_000)
        if path == "magic":  # MathJax loads on first use and adds its stylesheet
            expect(nb.cell(1).locator("mjx-container")).to_have_count(1, timeout=30_000)
        self.sent = 1
        self.armed.page.evaluate("window.__watch()")
        self.before = self.armed.page.evaluate(SNAPSHOT)

    def run(self, cases: list[Case], timeout_ms: float) -> float:
        nb, path = self.nb, self.path
        started = time.perf_counter()
        if path == "panel":
            for case in cases:  # one at a time: the panel shows only its last answer
                inject(self.offline, path, case.text)
                nb.edit(2)
                nb.page.keyboard.press("Shift+Enter")  # send, then the wait cell
                nb.page.keyboard.press("Shift+Enter")
                self.sent += 1
                sentinel = nb.cell(1).locator(f'.hostile-seq[data-seq="{self.sent}"]')
                expect(sentinel).to_have_count(1, timeout=timeout_ms)
                self.record(case, check_answers(nb, case, 1, 1))
            return time.perf_counter() - started
        for case in cases:
            inject(self.offline, path, case.text)
        nb.edit(self.targets[0] - (path == "compare"))
        nb.page.keyboard.press("Escape")
        nb.command("Run Selected Cell and All Below")
        prompt = nb.cell(self.last).locator(".jp-InputPrompt")
        expect(prompt).to_have_text(EXECUTED, timeout=timeout_ms)
        for case, index in zip(cases, self.targets, strict=True):
            wait_final(nb, path, index, 30_000)
            self.record(case, check_answers(nb, case, index, 2 if path == "compare" else 1))
        return time.perf_counter() - started

    def record(self, case: Case, found: list[str]) -> None:
        if found:
            self.failures[case.name] = found
        else:
            self.inert.append(case.name)

    def finish(self) -> Outcome:
        """Page-wide: nothing ran, nothing outside the outputs changed, the kernel answers."""
        armed, nb = self.armed, self.nb
        started = time.perf_counter()
        nb.run(self.last, timeout=RESPONSIVE_S * 1000)
        responsive_s = time.perf_counter() - started
        expect(nb.output(self.last)).to_have_text("2")
        after = armed.page.evaluate(SNAPSHOT)
        marked = armed.page.evaluate(MARKED_COUNT)
        page_wide = [f"payload ran: {h}" for h in armed.hits()]
        page_wide += [f"dialog {d}" for d in armed.dialogs]
        page_wide += [f"request off the server: {r}" for r in armed.requests]
        page_wide += [f"outside the outputs: {o}" for o in armed.outside()]
        page_wide += [f"{key} changed: {self.before[key]!r} -> {after[key]!r}"
                      for key in self.before if self.before[key] != after[key]]  # fmt: skip
        page_wide += [f"{marked} payload element(s) in the document"] if marked else []
        print(f"{self.path}: 1+1 took {responsive_s:.2f} s after the batch")
        return Outcome(self.path, self.inert, self.failures, page_wide)


def run_batch(
    armed: Armed,
    jupyter: JupyterServer,
    offline: OfflineServer,
    path: str,
    cases: list[Case],
    timeout_ms: float,
) -> Outcome:
    batch = Batch(armed, jupyter, offline, path)
    batch.open(cases)
    took = batch.run(cases, timeout_ms)
    print(f"\n{path}: {len(cases)} case(s) rendered in {took:.1f} s")
    return batch.finish()


FIGURES: dict[str, list[int]] = {}  # path -> [inert, total] over this module's tests


@pytest.fixture(scope="module", autouse=True)
def figures(request: pytest.FixtureRequest) -> Iterator[None]:
    """At the end, one figure per path over every case that ran (batched and on their own)."""
    FIGURES.clear()
    yield
    lines = [f"{path}: attacks rendered inert: {n}/{total}" for path, (n, total) in FIGURES.items()]
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():  # shown without -s too
        reporter.ensure_newline()
        for line in lines:
            reporter.write_line(line)


def report(outcome: Outcome, total: int) -> None:
    print(outcome.figure)
    counts = FIGURES.setdefault(outcome.path, [0, 0])
    counts[0] += 0 if outcome.page_wide else len(outcome.inert)
    counts[1] += total
    detail = [f"  {name}: {found}" for name, found in outcome.failures.items()]
    detail += [f"  page: {line[:300]}" for line in dict.fromkeys(outcome.page_wide)]
    assert not detail, outcome.figure + "\n" + "\n".join(detail)
    assert outcome.figure.endswith(f" {total}/{total}")


@pytest.mark.parametrize("path", PATHS)
def test_hostile_answers_render_inert(
    path: str, armed: Armed, jupyter: JupyterServer, offline: OfflineServer
) -> None:
    outcome = run_batch(armed, jupyter, offline, path, BATCHED, BATCH_TIMEOUT_MS)
    report(outcome, len(BATCHED))


@pytest.mark.parametrize("case", SOLO, ids=[c.name for c in SOLO])
@pytest.mark.parametrize("path", PATHS)
def test_huge_hostile_answer_renders_inert_on_its_own(
    path: str, case: Case, armed: Armed, jupyter: JupyterServer, offline: OfflineServer
) -> None:
    outcome = run_batch(armed, jupyter, offline, path, [case], SOLO_TIMEOUT_MS)
    report(outcome, 1)


def test_the_hooks_see_a_payload_that_runs(armed: Armed, jupyter: JupyterServer) -> None:
    """The detectors work: a trusted output that runs a payload is seen by every one of them."""
    nb = open_notebook(armed.page, jupyter, ["x = 1", _TRUSTED_PAYLOAD])
    nb.run(0)
    armed.page.evaluate("window.__watch()")
    before = armed.page.evaluate(SNAPSHOT)
    nb.run(1)
    # The script appends the probe after alert() returns, i.e. after the dialog was handled.
    expect(armed.page.locator("#pwn-probe")).to_have_count(1)
    assert armed.hits() == ["probe"]
    assert armed.dialogs == ["alert: probe"]
    after = armed.page.evaluate(SNAPSHOT)
    assert after["title"] != before["title"] and after["head"] != before["head"]
    outside = armed.outside()
    assert any("marked element" in o and "pwn-probe" in o for o in outside), outside
    assert any(o.startswith("style outside the outputs") for o in outside), outside
    assert set(armed.requests) == {"GET https://pwn.invalid/beacon.png"}  # once per render
    probe = nb.output(1)
    assert probe.evaluate(INSPECT, STYLE_CSS)  # the live-DOM check flags the <img onerror>


# A deliberately executing output (made by the test itself, not by a model): JupyterLab runs the
# <script> of trusted HTML, and an <img onerror> fires; each reports to a detector.
_TRUSTED_PAYLOAD = (
    "from IPython.display import HTML\n"
    "HTML('<img src=data:,x onerror=\"window.__pwned(\\'probe\\')\">'\n"
    "     '<img src=https://pwn.invalid/beacon.png>'\n"
    '     \'<script>document.title = "pwned"; alert("probe");\'\n'
    "     'document.body.appendChild(Object.assign(document.createElement(\"div\"),'\n"
    "     ' {id: \"pwn-probe\"}));'\n"
    "     'document.head.appendChild(document.createElement(\"style\"));</script>')"
)
