"""The Python API: ``chat`` / ``achat`` in a plain interpreter and in a kernel, and widgets that
are widgets, before and after ``%load_ext``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import venice_jupyter
from testkit.kernel import Kernel, running_kernel
from venice_jupyter.errors import ParameterError, SchemaMismatchError
from venice_jupyter.offline import OfflineServer

ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _plain_python(code: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter as a user with no key (the offline server answers)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENICE_")}
    env.update(VENICE_JUPYTER_LOG=str(tmp / "log.sqlite3"), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-c", code],
        cwd=tmp, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_chat_in_a_plain_interpreter_with_no_key(tmp_path: Path) -> None:
    done = _plain_python(
        "import venice_jupyter as v\n"
        "print(v.chat('Why is the sky blue?', max_completion_tokens=40).text)",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.split()) >= 10
    assert "ResourceWarning" not in done.stderr  # the offline server and client were closed


def test_achat_under_asyncio_run_twice(tmp_path: Path) -> None:
    # Two asyncio.run calls: each loop gets a client of its own, closed with the call.
    done = _plain_python(
        "import asyncio, venice_jupyter as v\n"
        "async def ask():\n"
        "    return await v.achat('Why is the sky blue?', max_completion_tokens=20, seed=3)\n"
        "a, b = asyncio.run(ask()), asyncio.run(ask())\n"
        "print(a.text == b.text, len(a.text) > 0, a.usage.completion_tokens)",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "20"]
    assert "ResourceWarning" not in done.stderr and "unclosed" not in done.stderr


def test_chat_returns_a_reply_whose_str_is_the_text(home: Any) -> None:
    reply = venice_jupyter.chat("Tell me about bread.", max_completion_tokens=12, workspace=home)
    assert isinstance(reply, venice_jupyter.Reply)
    assert str(reply) == reply.text and reply.text
    assert reply.usage is not None and reply.usage.completion_tokens == 12
    assert repr(reply).startswith("<Reply model='venice-offline'") and len(repr(reply)) < 200
    assert len(home.conversations.get()) == 0  # one-off unless a conversation is named


def test_chat_continues_a_named_conversation(home: Any, server: OfflineServer) -> None:
    venice_jupyter.chat("Hello.", conversation="c1", max_completion_tokens=5, workspace=home)
    venice_jupyter.chat("Again.", conversation="c1", max_completion_tokens=5, workspace=home)
    roles = [m["role"] for m in server.requests[-1]["messages"]]
    assert roles == ["user", "assistant", "user"]
    assert len(home.conversations.get("c1")) == 2


def test_a_system_prompt_given_with_a_conversation_stays_its(
    home: Any, server: OfflineServer
) -> None:
    venice_jupyter.chat("Hello.", conversation="c2", system="Answer in French.",
                        max_completion_tokens=5, workspace=home)  # fmt: skip
    venice_jupyter.chat("Again.", conversation="c2", max_completion_tokens=5, workspace=home)
    first = server.requests[-1]["messages"][0]
    assert first == {"role": "system", "content": "Answer in French."}
    venice_jupyter.chat("One-off.", system="Be brief.", max_completion_tokens=5, workspace=home)
    assert home.conversations.get().system in (None, "")  # no conversation: nothing kept


def test_chat_with_a_schema_parses_the_answer(home: Any) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "people": {"type": "integer"}},
        "required": ["city", "people"],
    }
    reply = venice_jupyter.chat("Name a city.", schema=schema, workspace=home)
    assert set(reply.parsed) == {"city", "people"} and isinstance(reply.parsed["people"], int)


def test_chat_with_a_pydantic_schema_gives_its_instance(home: Any) -> None:
    pydantic = pytest.importorskip("pydantic")

    class City(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        name: str
        people: int

    reply = venice_jupyter.chat("Name a city.", schema=City, workspace=home)
    assert isinstance(reply.parsed, City)


def test_an_answer_that_does_not_fit_keeps_the_reply(home: Any, server: OfflineServer) -> None:
    from venice_jupyter.offline import Fault

    server.inject(Fault("reply", text="not json at all"))
    with pytest.raises(SchemaMismatchError, match="does not fit the schema") as caught:
        venice_jupyter.chat("Name a city.", schema={"type": "object"}, workspace=home)
    assert caught.value.partial is not None and caught.value.partial.text == "not json at all"


def test_bad_arguments_send_nothing(home: Any, server: OfflineServer) -> None:
    before = len(server.requests)
    with pytest.raises(ParameterError, match=r"temprature.*Did you mean 'temperature'"):
        venice_jupyter.chat("Hi.", temprature=0.5, workspace=home)
    with pytest.raises(ParameterError, match="prompt"):
        venice_jupyter.chat(42, workspace=home)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="conversation"):
        venice_jupyter.chat("Hi.", conversation=3, workspace=home)  # type: ignore[arg-type]
    assert len(server.requests) == before


def test_achat_in_a_running_loop(home: Any) -> None:
    async def main() -> str:
        reply = await venice_jupyter.achat("Hi.", max_completion_tokens=6, workspace=home)
        return reply.text

    assert asyncio.run(main())


# -- in a real kernel ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with running_kernel(tmp_path_factory.mktemp("api-kernel")) as k:
        yield k


def _views(ex: Any) -> list[dict[str, Any]]:
    return [
        m
        for m in ex.of_type("display_data", "execute_result")
        if WIDGET_VIEW in m["content"]["data"]
    ]


@pytest.mark.kernel
def test_widgets_compose_and_compare_works_before_and_after_load_ext(kernel: Kernel) -> None:
    ex = kernel.execute(
        "import ipywidgets, venice_jupyter\n"
        "box = ipywidgets.HBox([venice_jupyter.panel(), venice_jupyter.sampling_lab()])\n"
        "box"
    )
    assert ex.status == "ok", ex.error
    [view] = _views(ex)
    assert view["content"]["data"][WIDGET_VIEW]["model_id"] == kernel.value("box.model_id")
    assert kernel.value("[type(c).__name__ for c in box.children]") == ["Panel", "SamplingLab"]
    tabs = kernel.execute("ipywidgets.Tab([venice_jupyter.panel(), venice_jupyter.sampling_lab()])")
    assert tabs.status == "ok", tabs.error
    assert len(_views(tabs)) == 1
    for step in ("before", "after"):
        if step == "after":
            assert kernel.execute("%load_ext venice_jupyter").status == "ok"
        ex = kernel.execute(
            "v = venice_jupyter.compare('Tell me about bread.', ['venice-offline', "
            "'venice-offline-small'], params={'max_completion_tokens': 8})\n"
            "results = await v.wait()\n"
            "print(isinstance(v, ipywidgets.VBox), [r.status for r in results])"
        )
        assert ex.status == "ok", (step, ex.error)
        assert ex.stdout.split() == ["True", "['done',", "'done']"], step
    # The conversations chat() made before loading are the magic's after.
    assert kernel.execute("%venice conversations").status == "ok"


@pytest.mark.kernel
def test_chat_in_a_kernel_uses_the_magics_defaults(kernel: Kernel) -> None:
    ex = kernel.execute(
        "%venice set max_completion_tokens=7\n"
        "r = venice_jupyter.chat('Tell me about bread.')\n"
        "print(r.usage.completion_tokens)"
    )
    assert ex.status == "ok", ex.error
    assert ex.stdout.splitlines() == [
        "Defaults sent with every request: max_completion_tokens=7.",
        "7",
    ]
    ex = kernel.execute("r = await venice_jupyter.achat('Hi.')\nprint(r.usage.completion_tokens)")
    assert ex.status == "ok", ex.error
    assert ex.stdout.split() == ["7"]
