"""The README's reference section is exactly what the parameter table generates."""

from __future__ import annotations

from pathlib import Path

from venice_jupyter.ipython.reference import BEGIN, END, reference_markdown

README = Path(__file__).parent.parent / "README.md"


def test_reference_matches_the_table() -> None:
    text = README.read_text()
    start = text.index(BEGIN) + len(BEGIN) + 1
    end = text.index(END)
    assert text[start:end] == reference_markdown(), (
        "README reference is stale: run "
        "`python -m venice_jupyter.ipython.reference --update README.md`"
    )


def test_readme_opens_with_the_two_setup_commands() -> None:
    blocks = README.read_text().split("```bash\n")[1:3]
    commands = [b.split("\n```")[0].strip() for b in blocks]
    assert commands == ["bash scripts/lab.sh", "bash scripts/test.sh"]
    ci = (README.parent / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci
