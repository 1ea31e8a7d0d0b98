"""The bad-input cases of issue 18, item 6: click/typer usage errors (a bad option value, an
unknown option or command, a missing argument) are one ``error:`` line and exit 2, like every
other user mistake, not typer's box (family ``usage``)."""
from __future__ import annotations

from pathlib import Path

from tests.bad_input.harness import base_spec, case, evaluate, write_spec


def search(sandbox: Path, *extra: str) -> list[str]:
    """``search`` of a valid spec with a search section, with ``extra`` options."""
    spec = base_spec()
    spec["search"] = {"assets": ["car_sedan"], "distance_m": {"min": 6, "max": 12}}
    return ["search", write_spec(sandbox, spec), "--model", "flat-road", "--out", str(sandbox / "new-out"), *extra]


for name, make, fragment in [
    ("generate --workers 0", lambda s: ["generate", write_spec(s, base_spec()), "--out", str(s / "g"),
                                        "--workers", "0"], "--workers"),
    ("generate --threads -1", lambda s: ["generate", write_spec(s, base_spec()), "--out", str(s / "g"),
                                         "--threads", "-1"], "--threads"),
    ("search --budget 0", lambda s: search(s, "--budget", "0"), "--budget"),
    ("search --threads -1", lambda s: search(s, "--budget", "1", "--threads", "-1"), "--threads"),
    ("search --workers 0", lambda s: search(s, "--budget", "1", "--workers", "0"), "--workers"),
    ("evaluate --batch-size abc", lambda s: evaluate(s) + ["--batch-size", "abc"], "--batch-size"),
    ("evaluate unknown option", lambda s: evaluate(s) + ["--colour", "red"], "--colour"),
    ("unknown top-level option", lambda s: ["--bogus"], "--bogus"),
    ("validate without a spec", lambda s: ["validate"], "Missing argument"),
    ("verify with two sets", lambda s: ["verify", str(s / "set"), str(s / "other")], "unexpected extra argument"),
    ("bench generation unknown option", lambda s: ["bench", "generation", "--nope"], "--nope"),
    ("unknown bench command", lambda s: ["bench", "teleport"], "No such command"),
]:
    case("usage", name, fragment)(make)
