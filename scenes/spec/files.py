"""Reading spec files: YAML within limits, ``include:`` confined to two folders, and the merge.

A spec file is read as UTF-8 YAML (PyYAML's safe loader) within limits that keep a hostile or
broken file from exhausting memory or the stack: its size, its aliases, how deep it nests and
how many nodes it has once its aliases are expanded.  ``include:`` names a file beside the
including file or a built-in preset (a relative ``world.background.photos`` in any of them is taken
from that file's own folder); every included file must lie inside the top-level spec's
folder (or a subfolder) or the built-in presets folder.  Every problem is a one-line
:class:`~scenes.errors.SpecError` that names the file.  Pure Python (PyYAML only).
"""
from __future__ import annotations

import codecs
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from scenes.errors import SpecError
from scenes.reading import MAX_YAML_DEPTH, load_yaml, read_bounded, short_text

PRESETS_DIR = Path(__file__).resolve().parent.parent / "presets"

#: Largest spec file, bytes (1 MiB).  The presets are under 2 KB; a spec is a design, not data.
MAX_SPEC_FILE_BYTES = 1 << 20
#: Most files read for one spec (the spec and all its includes, transitively; presets use 2).
MAX_INCLUDE_FILES = 32
#: Byte-order marks that show a file is UTF-16 or UTF-32 text, for the error message.
_WIDE_BOMS = {codecs.BOM_UTF32_LE: "UTF-32", codecs.BOM_UTF32_BE: "UTF-32",
              codecs.BOM_UTF16_LE: "UTF-16", codecs.BOM_UTF16_BE: "UTF-16"}


def _read_text(path: Path) -> str:
    """The file's text: at most MAX_SPEC_FILE_BYTES of UTF-8 (a UTF-8 byte-order mark is allowed)."""
    raw = read_bounded(path, MAX_SPEC_FILE_BYTES, SpecError, "cannot read the spec file",
                      "; a spec file is a design, not data")
    wide = next((name for bom, name in _WIDE_BOMS.items() if raw.startswith(bom)), None)
    if wide:
        raise SpecError(f"{path}: {wide} text; save the spec as UTF-8")
    if b"\x00" in raw:
        raise SpecError(f"{path}: contains NUL bytes: a binary (or UTF-16) file, not a YAML spec")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                        "save the spec as UTF-8") from None


def read_yaml(path: Path) -> dict[str, Any]:
    """One spec file as a mapping (empty file: ``{}``), within the limits of this module.

    :raises SpecError: unreadable, too large, not UTF-8, not YAML, beyond a limit, or not a mapping.
    """
    data = load_yaml(_read_text(path), path, SpecError)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SpecError(f"{path}: a spec must be a mapping of keys to values")
    return data


def deep_merge(base: dict[str, Any], override: dict[str, Any],
               _memo: dict[tuple[int, int], dict[str, Any]] | None = None, _depth: int = 0) -> dict[str, Any]:
    """``override`` on top of ``base``: mappings merge key by key, anything else is replaced.

    Neither input is changed.  A pair of mappings shared by several keys (YAML aliases) is
    merged once and its result shared, so the work is linear in the distinct mappings, not in
    the expanded document.  :raises SpecError: mappings nested deeper than MAX_YAML_DEPTH.
    """
    memo: dict[tuple[int, int], dict[str, Any]] = {} if _memo is None else _memo
    if _depth > MAX_YAML_DEPTH:
        raise SpecError(f"mappings nested deeper than {MAX_YAML_DEPTH} levels")
    pair = (id(base), id(override))
    if pair in memo:
        return memo[pair]
    merged = dict(base)
    memo[pair] = merged  # before the loop: a mapping that contains itself ends in the depth check
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value, memo, _depth + 1)
        else:
            merged[key] = value
    return merged


def preset_names() -> list[str]:
    """Names of the built-in presets (YAML files in scenes/presets, without ``_`` prefix)."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml") if not p.stem.startswith("_"))


def _is_file(path: Path) -> bool:
    """Whether ``path`` is a file; False for a name the OS refuses (too long, NUL byte)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; False for a name the OS refuses (too long, NUL byte)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def resolve_spec_path(name_or_path: str | Path) -> Path:
    """A spec file path, or the file of a built-in preset named ``name_or_path``."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or _exists(path):
        if not _is_file(path):
            raise SpecError(f"{short_text(str(path), 200)}: no such spec file")
        return path
    preset = PRESETS_DIR / f"{name_or_path}.yaml"
    if _is_file(preset):
        return preset
    close = difflib.get_close_matches(str(name_or_path), preset_names(), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; presets: {', '.join(preset_names())}"
    raise SpecError(f"{short_text(str(name_or_path), 200)}: neither a spec file nor a built-in preset{hint}")


def absolute_photos_path(photos: str, folder: Path) -> str:
    """A ``world.background.photos`` value as an absolute path: ``~`` expanded, a relative path
    taken from ``folder`` (the folder of the file that declares it), symbolic links resolved where
    they can be (a link loop is kept as written, for the photo reader to name)."""
    path = Path(photos)
    try:
        path = path.expanduser()
    except RuntimeError:  # ~user of no known user: kept as written, the reader says it does not exist
        pass
    path = path if path.is_absolute() else folder / path
    try:
        return str(path.resolve())
    except (OSError, RuntimeError, ValueError):  # RuntimeError: a link loop (Python < 3.13)
        return str(path)


def with_absolute_paths(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """``data`` (one spec file's mapping) with its relative ``world.background.photos`` taken from
    ``path``'s folder, so that a preset included from anywhere finds its own photos.  The mapping
    is changed in place and returned."""
    world = data.get("world")
    background = world.get("background") if isinstance(world, dict) else None
    if isinstance(background, dict) and isinstance(background.get("photos"), str) and background["photos"]:
        background["photos"] = absolute_photos_path(background["photos"], path.parent)
    return data


@dataclass
class _IncludeWalk:
    """The include chain of one spec: the folders includes may reach, and the files read so far."""

    roots: tuple[Path, ...]
    files_read: int = 0

    def target(self, path: Path, item: str) -> Path:
        """The file an ``include:`` item of ``path`` names: beside ``path``, else a built-in preset;
        it must lie inside one of ``roots`` (after following symbolic links)."""
        candidate = path.parent / item
        target = candidate if _is_file(candidate) else PRESETS_DIR / item
        if not _is_file(target):
            raise SpecError(f"{path}: include: no such file {short_text(item, 200)!r}")
        resolved = target.resolve()
        if not any(resolved.is_relative_to(root) for root in self.roots):
            raise SpecError(f"{path}: include: {short_text(item, 200)!r} is outside the spec's folder "
                            f"{self.roots[0]} and the built-in presets {self.roots[-1]}; "
                            "an included file must lie in one of them")
        return resolved

    def load(self, path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
        """``path`` with its includes merged under it (the including file's keys win)."""
        if path in seen:
            raise SpecError(f"{path}: include cycle ({' -> '.join(p.name for p in seen + (path,))})")
        self.files_read += 1
        if self.files_read > MAX_INCLUDE_FILES:
            raise SpecError(f"{path}: more than {MAX_INCLUDE_FILES} files included in one spec")
        data = with_absolute_paths(read_yaml(path), path)
        includes = data.pop("include", [])
        if isinstance(includes, str):
            includes = [includes]
        if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
            raise SpecError(f"{path}: include: must be a file name or a list of file names")
        merged: dict[str, Any] = {}
        for item in includes:
            merged = self.merge(path, merged, self.load(self.target(path, item), seen + (path,)))
        return self.merge(path, merged, data)

    @staticmethod
    def merge(path: Path, base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
        """:func:`deep_merge`, its errors naming ``path`` (the file whose keys are merged)."""
        try:
            return deep_merge(base, override)
        except SpecError as exc:
            raise SpecError(f"{path}: {exc}") from None


def load_raw_spec(path: Path) -> dict[str, Any]:
    """Read a spec file and resolve its ``include:`` chain into one mapping.

    Includes may only reach files inside the spec's own folder (and its subfolders) and the
    built-in presets folder; at most MAX_INCLUDE_FILES files in all.  A relative
    ``world.background.photos`` is taken from the folder of the file that declares it.
    """
    path = path.resolve()
    return _IncludeWalk((path.parent, PRESETS_DIR.resolve())).load(path, ())
