"""scenes.registry.Registry, and the registries built on it (models, adapter families, experiment kinds)."""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Literal, Protocol, runtime_checkable

import pytest

from scenes.errors import DepthprobeError, SpecError
from scenes.registry import EntryLoadError, Registry, UnknownEntryError, did_you_mean, import_target


@pytest.fixture
def lazy_module(tmp_path, monkeypatch):
    """A module ``dp_lazy_probe`` on sys.path that counts how often it is imported."""
    name = "dp_lazy_probe"
    (tmp_path / f"{name}.py").write_text(
        "import builtins\n"
        "builtins.dp_lazy_probe_imports = getattr(builtins, 'dp_lazy_probe_imports', 0) + 1\n"
        "def make(context):\n    return 'made'\n"
        "class Holder:\n    class Inner:\n        value = 7\n"
        "NOT_CALLABLE = 3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    import builtins
    monkeypatch.setattr(builtins, "dp_lazy_probe_imports", 0, raising=False)
    yield name
    sys.modules.pop(name, None)


def test_lazy_entries_are_imported_on_first_get_only_and_cached(lazy_module):
    import builtins

    registry: Registry[Callable] = Registry("widget", base=Callable, entries={"w": f"{lazy_module}:make"})
    assert "w" in registry and registry.names() == ["w"] and len(registry) == 1
    assert registry.targets()["w"] == f"{lazy_module}:make"
    assert lazy_module not in sys.modules and not registry.is_loaded("w")
    first = registry.get("w")
    assert lazy_module in sys.modules and first("ctx") == "made" and registry.is_loaded("w")
    assert registry.get("w") is first and builtins.dp_lazy_probe_imports == 1


def test_dotted_attributes_and_bare_modules_resolve(lazy_module):
    registry: Registry[object] = Registry("thing", entries={"inner": f"{lazy_module}:Holder.Inner",
                                                            "module": lazy_module})
    assert registry.get("inner").value == 7
    assert registry.get("module").__name__ == lazy_module


def test_type_check_failure_names_the_entry_and_its_target(lazy_module):
    registry: Registry[Callable] = Registry("widget", base=Callable, entries={"bad": f"{lazy_module}:NOT_CALLABLE"})
    with pytest.raises(EntryLoadError) as info:
        registry.get("bad")
    message = str(info.value)
    assert message.startswith(f"widget 'bad' ({lazy_module}:NOT_CALLABLE): expected Callable, got int")
    assert "\n" not in message and not registry.is_loaded("bad")


def test_objects_are_type_checked_when_registered():
    registry: Registry[type] = Registry("kind", subclass_of=DepthprobeError)
    registry.register("spec", SpecError)
    with pytest.raises(EntryLoadError, match=r"kind 'int': expected a subclass of DepthprobeError, got class int"):
        registry.register("int", int)
    with pytest.raises(EntryLoadError, match="got list"):
        Registry("kind", subclass_of=DepthprobeError, entries={"s": SpecError}).register("x", ["not a class"])
    assert "int" not in registry and registry.get("spec") is SpecError


@runtime_checkable
class Greeter(Protocol):
    GREETING: str

    def greet(self, who: str) -> str: ...


class HalfGreeter:
    GREETING = "hi"


class FullGreeter(HalfGreeter):
    def greet(self, who: str) -> str:
        return f"{self.GREETING} {who}"


def test_protocol_check_lists_the_missing_members():
    registry: Registry[Greeter] = Registry("greeter", base=Greeter)
    registry.register("full", FullGreeter())
    assert registry.get("full").greet("you") == "hi you"
    with pytest.raises(EntryLoadError, match=r"greeter 'half': expected Greeter, got HalfGreeter \(missing greet\)"):
        registry.register("half", HalfGreeter())
    lazy: Registry[Greeter] = Registry("greeter", base=Greeter, entries={"math": "math"})
    with pytest.raises(EntryLoadError, match=r"greeter 'math' \(math\): expected Greeter, got module math "
                                             r"\(missing GREETING, greet\)"):
        lazy.get("math")


def test_unknown_names_suggest_close_ones():
    registry: Registry[int] = Registry("colour", entries={"crimson": 1, "green": 2, "blue": 3})
    with pytest.raises(UnknownEntryError) as info:
        registry.get("gren")
    assert str(info.value) == "unknown colour 'gren'; did you mean 'green'? known: blue, crimson, green"
    with pytest.raises(UnknownEntryError) as info:
        registry.get("yellow")
    assert "did you mean" not in str(info.value) and "known: blue, crimson, green" in str(info.value)
    assert registry.suggest("bleu") == ["blue"] and did_you_mean("x", []) == ""


def test_callers_choose_the_error_classes():
    class NoSuchThing(DepthprobeError):
        pass

    class BrokenThing(DepthprobeError):
        pass

    registry: Registry[object] = Registry("thing", unknown_error=NoSuchThing, load_error=BrokenThing,
                                          entries={"gone": "no_such_pkg_dp_registry:x", "attr": "math:nope"})
    with pytest.raises(NoSuchThing):
        registry.get("gon")
    with pytest.raises(BrokenThing, match=r"thing 'gone': cannot import module 'no_such_pkg_dp_registry' "
                                          r"\(ModuleNotFoundError: "):
        registry.get("gone")
    with pytest.raises(BrokenThing, match="thing 'attr': module 'math' has no attribute 'nope'"):
        registry.get("attr")
    assert issubclass(UnknownEntryError, DepthprobeError) and issubclass(EntryLoadError, DepthprobeError)


def test_registration_rules_views_and_copies():
    registry: Registry[int] = Registry("number", entries={"one": 1})
    with pytest.raises(ValueError, match="already registered"):
        registry.register("one", 11)
    with pytest.raises(ValueError, match="non-empty"):
        registry.register("", 0)
    registry.register("one", 111, replace=True)
    assert registry.get("one") == 111
    view = registry.targets()
    with pytest.raises(TypeError):
        view["two"] = 2  # type: ignore[index]
    extended = registry.copy()
    extended.register("two", 2)
    assert "two" not in registry and "two" not in view and extended.names() == ["one", "two"]
    only = registry.copy(entries={"three": 3})
    assert list(only) == ["three"] and only.what == "number"
    assert list(Registry("n", entries={"b": 1, "a": 2})) == ["b", "a"]  # iteration: registration order


def test_import_target_rejects_malformed_paths():
    with pytest.raises(EntryLoadError, match="expected 'module:attr'"):
        import_target("math:", "entry 'x'")
    with pytest.raises(EntryLoadError, match="expected 'module:attr'"):
        import_target(":pi", "entry 'x'")
    assert import_target("math:pi", "entry 'x'") == pytest.approx(3.14159, rel=1e-5)


# --- the registries built on it ---------------------------------------------------------------
def test_builtin_adapter_families_satisfy_the_protocol():
    from evaluator.models.family import AdapterFamily
    from evaluator.models.registry import ADAPTER_FAMILIES, MODEL_PREFIXES, prefix_forms

    assert set(MODEL_PREFIXES) == set(ADAPTER_FAMILIES) == {"hf", "monodepth2", "hub"}
    for prefix in ADAPTER_FAMILIES:
        family = ADAPTER_FAMILIES.get(prefix)
        assert isinstance(family, AdapterFamily) and family.PREFIX == prefix
    assert prefix_forms() == {"hf": "hf:<hub-id-or-folder>", "monodepth2": "monodepth2:<folder>",
                              "hub": "hub:<folder>:<entrypoint>"}
    assert prefix_forms({"mine": "evaluator.models.torch_hub"}) == {"mine": "mine:<folder>:<entrypoint>"}


def test_a_prefix_that_is_not_an_adapter_family_is_a_model_load_error():
    from evaluator.errors import ModelLoadError
    from evaluator.models.base import ModelContext
    from evaluator.models.registry import load_model
    from scenes.geometry.camera import kitti_like_camera

    with pytest.raises(ModelLoadError) as info:
        load_model("bad:x", ModelContext(kitti_like_camera(width=64, height=32), device="cpu"),
                   prefixes={"bad": "math"})
    message = str(info.value)
    assert message.startswith("model 'bad:x': adapter prefix 'bad' (math): expected AdapterFamily, got module math")
    assert "check_spec" in message and "\n" not in message


def test_every_experiment_kind_has_one_spec_model_and_one_expander():
    from typing import get_args

    from scenes.design.kinds import EXPANDERS
    from scenes.spec.experiments import EXPERIMENT_KINDS, Experiment, kind_tag
    from scenes.spec.schema import StimulusSpec

    union = get_args(get_args(Experiment)[0])
    assert [kind_tag(model) for model in union] == list(EXPERIMENT_KINDS)
    assert EXPANDERS.names() == EXPERIMENT_KINDS.names() and {"perspective", "texture", "shading", "depth_order"} <= set(EXPERIMENT_KINDS)
    assert StimulusSpec.model_fields["experiment"].annotation is get_args(Experiment)[0]
    with pytest.raises(SpecError, match="unknown experiment kind 'elevaton'; did you mean 'elevation'?"):
        EXPANDERS.get("elevaton")


def test_an_expander_table_that_drifts_from_the_kinds_fails():
    from scenes.design.kinds import _expanders, _position_vs_size
    from scenes.spec.experiments import PositionVsSizeSpec, kind_tag
    from scenes.spec.types import Strict

    with pytest.raises(TypeError, match="expanders for \\['position_vs_size'\\] but experiment kinds"):
        _expanders({PositionVsSizeSpec: _position_vs_size})

    class Untagged(Strict):
        kind: str

    class Tagged(Strict):
        kind: Literal["tagged"]

    with pytest.raises(TypeError, match="Untagged: an experiment spec needs a field kind"):
        kind_tag(Untagged)
    assert kind_tag(Tagged) == "tagged"
