"""Suite-wide secret check: the whole test session runs with a recognisable API key, and at the
end every captured output, failure report, temp file (logs, exports, saved notebooks, kernel
dirs) and artifact is scanned for it. Any occurrence fails the run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from testkit.keys import LIVE_KEY_VAR, TEST_KEY

__all__ = ["LIVE_KEY_VAR", "TEST_KEY"]

_found: list[str] = []
_scanned = {"reports": 0, "files": 0}


def pytest_configure(config: pytest.Config) -> None:
    real = os.environ.get("VENICE_API_KEY")
    if real and real != TEST_KEY:
        os.environ[LIVE_KEY_VAR] = real
    os.environ["VENICE_API_KEY"] = TEST_KEY


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _scanned["reports"] += 1
    texts = [report.longreprtext, *(content for _, content in report.sections)]
    if any(TEST_KEY in t for t in texts):
        _found.append(f"test report of {report.nodeid} ({report.when})")


def _scan_tree(root: Path) -> None:
    needle = TEST_KEY.encode()
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            _scanned["files"] += 1
            try:
                if needle in path.read_bytes():
                    _found.append(str(path))
            except OSError:
                continue


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    factory = getattr(session.config, "_tmp_path_factory", None)
    roots = [Path(session.config.rootpath) / "artifacts"]
    if factory is not None:
        roots.append(factory.getbasetemp())
    for root in roots:
        if root.exists():
            _scan_tree(root)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    line = (
        f"key occurrences: {len(_found)} (scanned {_scanned['reports']} test reports, "
        f"{_scanned['files']} files)"
    )
    if reporter is not None:
        reporter.write_line(line)
        for where in _found:
            reporter.write_line(f"  API key found in {where}")
    if _found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
