"""A real IPython kernel for tests: start it, run cells, collect every iopub message."""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager

from testkit.keys import TEST_KEY


@dataclass
class Execution:
    reply: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)  # what input() asked

    @property
    def status(self) -> str:
        return str(self.reply["content"]["status"])

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["msg_type"] in types]

    @property
    def stdout(self) -> str:
        return "".join(
            m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == "stdout"
        )

    @property
    def stderr(self) -> str:
        return "".join(
            m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == "stderr"
        )

    @property
    def error(self) -> dict[str, Any] | None:
        """ename/evalue/traceback of a failed cell (UsageError reports only in the reply)."""
        errors = self.of_type("error")
        if errors:
            return errors[0]["content"]  # type: ignore[no-any-return]
        if self.status == "error":
            return self.reply["content"]  # type: ignore[no-any-return]
        return None

    def iopub_bytes(self) -> int:
        import json

        return sum(len(json.dumps(m["content"], default=str)) for m in self.messages)


class Kernel:
    def __init__(self, km: KernelManager) -> None:
        self.km = km
        self.client = km.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def execute(
        self,
        code: str,
        timeout: float = 60,
        *,
        on_message: Any = None,
        cell_id: str = "",
        answers: list[str] | None = None,
    ) -> Execution:
        """Run ``code``; ``cell_id`` is sent in the request's metadata as JupyterLab does;
        ``answers`` are typed, one per ``input()`` prompt, as a front end's input box does
        (``Execution.prompts`` keeps what was asked)."""
        stdin = answers is not None
        if cell_id:
            content = {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": stdin,
                "stop_on_error": True,
            }
            msg = self.client.session.msg(
                "execute_request", content, metadata={"cellId": cell_id}
            )  # fmt: skip
            self.client.shell_channel.send(msg)
            msg_id = msg["header"]["msg_id"]
        else:
            msg_id = self.client.execute(code, store_history=True, allow_stdin=stdin)
        messages: list[dict[str, Any]] = []
        prompts: list[str] = []
        deadline = time.monotonic() + timeout
        idle = False
        while not idle:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"cell did not finish in {timeout}s: {code[:80]!r}")
            if stdin and self.client.stdin_channel.msg_ready():
                request = self.client.get_stdin_msg(timeout=1)
                prompts.append(request["content"]["prompt"])
                self.client.input(answers.pop(0) if answers else "")
            try:
                msg = self.client.get_iopub_msg(
                    timeout=min(remaining, 0.05) if stdin else remaining
                )
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if on_message is not None:
                on_message(msg)
            if msg["msg_type"] == "status":
                idle = msg["content"]["execution_state"] == "idle"
                continue
            messages.append(msg)
        reply = self.client.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.client.get_shell_msg(timeout=timeout)
        return Execution(reply, messages, prompts)

    def interrupt(self) -> None:
        self.km.interrupt_kernel()

    def value(self, expr: str) -> Any:
        """Evaluate ``expr`` in the kernel and return it (must be JSON-able)."""
        import json

        ex = self.execute(f"import json as _j; print(_j.dumps({expr}))")
        assert ex.status == "ok", ex.error
        return json.loads(ex.stdout.strip().splitlines()[-1])


def isolated_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        path = tmp / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["VENICE_JUPYTER_LOG"] = str(tmp / "log.sqlite3")
    env.pop("VENICE_BASE_URL", None)
    env.pop("JPY_SESSION_NAME", None)
    env.pop("VENICE_LIVE_API_KEY", None)
    env.update(extra)
    # Kernels that talk to a test server carry the suite's recognisable key (see leakscan);
    # the others model a user with no key, who gets the built-in offline server.
    if "VENICE_BASE_URL" in extra:
        env.setdefault("VENICE_API_KEY", TEST_KEY)
    else:
        env.pop("VENICE_API_KEY", None)
    return env


@contextmanager
def running_kernel(tmp: Path, **env: str) -> Iterator[Kernel]:
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=isolated_env(tmp, **env), cwd=str(tmp))
    kernel = Kernel(km)
    try:
        yield kernel
    finally:
        kernel.client.stop_channels()
        km.shutdown_kernel(now=True)


@contextmanager
def venice_kernel(tmp: Path, base_url: str, setup: str = "") -> Iterator[Kernel]:
    """A kernel pointed at ``base_url`` with the extension loaded, then ``setup`` run."""
    with running_kernel(tmp, VENICE_BASE_URL=base_url) as kernel:
        ex = kernel.execute("%load_ext venice_jupyter" + (f"\n{setup}" if setup else ""))
        assert ex.status == "ok", ex.error
        yield kernel
