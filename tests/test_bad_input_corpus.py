"""The bad-input corpus: every way a careless or hostile user was seen to hand depthprobe something wrong.

Every case of :data:`tests.bad_input.harness.CASES` (registered by the ``tests/bad_input/cases_*.py``
modules, one per probe round or family) runs through the real command line (typer's runner on
``depthprobe.cli.app``) in a sandbox holding a small stimulus set, a results folder of ours, and
room for the case's own files.  Each case must end with the documented exit code (2 for a
user's mistake), exactly one ``error: ...`` line naming the problem (a fragment of it is given
per case), no traceback, and the sandbox byte for byte as it was: nothing written outside,
nothing already there changed.
"""
from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.bad_input.harness import CASES, Case, build_pristine, snapshot

#: The case modules, imported for their registrations.
CASE_MODULES = sorted(p.stem for p in (Path(__file__).parent / "bad_input").glob("cases_*.py"))
for _module in CASE_MODULES:
    importlib.import_module(f"tests.bad_input.{_module}")
#: The families of the first rounds, each of which must keep its cases.
FIRST_FAMILIES = {"spec", "set", "model", "output", "args"}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """The sandbox every case starts from (copied per case)."""
    return build_pristine(tmp_path_factory.mktemp("corpus"))


def test_the_corpus_has_every_family_and_at_least_100_cases():
    families = {c.family for c in CASES}
    assert FIRST_FAMILIES <= families and len(CASES) >= 100, len(CASES)
    assert len({(c.family, c.name) for c in CASES}) == len(CASES)


def problems_of(bad: Case, sandbox: Path, runner: CliRunner) -> list[str]:
    """What is wrong with how the command line handled ``bad`` in ``sandbox`` (empty: all right)."""
    from depthprobe.cli import app

    argv = bad.make(sandbox)
    before = snapshot(sandbox)
    result = runner.invoke(app, argv, catch_exceptions=True)
    output = result.output
    errors = [line for line in output.splitlines() if line.startswith("error:") or line.startswith("Error")]
    problems = []
    if result.exit_code != bad.exit_code:
        problems.append(f"exit {result.exit_code}")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        problems.append(f"raised {type(result.exception).__name__}: {result.exception}")
    if "Traceback" in output:
        problems.append("traceback")
    if len(errors) != 1:
        problems.append(f"{len(errors)} error lines")
    if bad.fragment.lower() not in output.lower():
        problems.append(f"no {bad.fragment!r} in the message")
    if snapshot(sandbox) != before:
        problems.append("files changed")
    return [f"{bad.family}/{bad.name}: {', '.join(problems)} | {output.strip()[-300:]!r}"] if problems else []


@pytest.mark.parametrize("family", sorted({c.family for c in CASES}))
def test_every_bad_input_gives_one_line_exit_2_and_changes_nothing(pristine, tmp_path, family):
    runner = CliRunner()
    cases = [c for c in CASES if c.family == family]
    failures = []
    for number, bad in enumerate(cases):
        sandbox = tmp_path / f"case{number:03d}"
        shutil.copytree(pristine, sandbox)
        failures += problems_of(bad, sandbox, runner)
        shutil.rmtree(sandbox, ignore_errors=True)
    assert not failures, f"{len(failures)} of {len(cases)} cases:\n" + "\n".join(failures)
