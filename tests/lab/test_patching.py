"""The lab's one patch mechanism: declared, applied by the registry, undone in reverse order."""

from __future__ import annotations

import sys
import types

import pytest

from courselab.lab.patching import Patches


@pytest.fixture
def target(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A throwaway module with a class to patch, importable as ``patch_target``."""
    module = types.ModuleType("patch_target")

    class Thing:
        def greet(self, name: str) -> str:
            return f"hello {name}"

        @staticmethod
        def double(x: int) -> int:
            return 2 * x

    class Child(Thing):
        pass

    def helper() -> str:
        return "stock"

    module.Thing, module.Child, module.helper = Thing, Child, helper
    monkeypatch.setitem(sys.modules, "patch_target", module)
    return module


def test_declaring_changes_nothing_until_applied(target):
    patches = Patches("test")

    @patches.replace("patch_target:helper")
    def helper() -> str:
        return "lab"

    assert target.helper() == "stock"
    patches.apply()
    assert target.helper() == "lab"
    patches.undo()
    assert target.helper() == "stock"


def test_wrap_gets_the_original_and_undo_restores_the_very_same_object(target):
    stock = target.Thing.__dict__["greet"]
    patches = Patches("test")

    @patches.wrap("patch_target:Thing.greet")
    def greet(original, self, name):
        return original(self, name).upper()

    patches.apply()
    assert target.Thing().greet("ana") == "HELLO ANA"
    patches.undo()
    assert target.Thing.__dict__["greet"] is stock


def test_static_methods_stay_static(target):
    patches = Patches("test")

    @patches.wrap("patch_target:Thing.double")
    def double(original, x):
        return original(x) + 1

    patches.apply()
    assert target.Thing.double(5) == 11 and target.Thing().double(5) == 11
    patches.undo()
    assert target.Thing.double(5) == 10


def test_a_patch_of_an_inherited_method_is_removed_again_on_undo(target):
    patches = Patches("test")

    @patches.wrap("patch_target:Child.greet")
    def greet(original, self, name):
        return "child " + original(self, name)

    patches.apply()
    assert target.Child().greet("ben") == "child hello ben"
    assert target.Thing().greet("ben") == "hello ben"
    patches.undo()
    assert "greet" not in target.Child.__dict__


def test_two_extensions_wrapping_one_target_undo_in_reverse_order(target):
    stock = target.Thing.__dict__["greet"]
    first, second = Patches("first"), Patches("second")

    @first.wrap("patch_target:Thing.greet")
    def one(original, self, name):
        return original(self, name) + " 1"

    @second.wrap("patch_target:Thing.greet")
    def two(original, self, name):
        return original(self, name) + " 2"

    first.apply()
    second.apply()
    assert target.Thing().greet("x") == "hello x 1 2"
    second.undo()
    first.undo()
    assert target.Thing.__dict__["greet"] is stock


def test_add_refuses_to_overwrite_and_undo_deletes_what_it_added(target):
    patches = Patches("test")
    patches.add("patch_target:Thing.colour", property(lambda self: "blue"))
    patches.apply()
    assert target.Thing().colour == "blue"
    patches.undo()
    assert not hasattr(target.Thing, "colour")

    clash = Patches("clash")
    clash.add("patch_target:Thing.greet", None)
    with pytest.raises(RuntimeError, match="already exists"):
        clash.apply()


def test_a_failing_apply_leaves_nothing_applied(target):
    stock = target.helper
    patches = Patches("test")
    patches.set("patch_target:helper", lambda: "lab")
    patches.set("patch_target:Thing.no_such_method", None)
    with pytest.raises(AttributeError, match="no_such_method"):
        patches.apply()
    assert target.helper is stock and not patches.applied


def test_change_hooks_run_after_apply_and_after_undo(target):
    seen = []
    patches = Patches("test")
    patches.set("patch_target:helper", lambda: "lab")
    patches.on_change(lambda: seen.append(target.helper()))
    patches.apply()
    patches.apply()  # idempotent: no second change, no second hook
    patches.undo()
    assert seen == ["lab", "stock"]


def test_a_target_must_name_module_and_attribute():
    patches = Patches("test")
    patches.set("no_colon_here", 1)
    with pytest.raises(ValueError, match="module:Attribute"):
        patches.apply()
