"""``overrides``: whether a class keeps the hooks a fast path stands in for."""

from __future__ import annotations

from djangochannelsrestframework._engine.overrides import Hooks, overrides


class Base:
    def hook(self) -> str:
        return "base"

    @classmethod
    def encode(cls) -> str:
        return "base"


class Kept(Base):
    pass


class Replaced(Base):
    def hook(self) -> str:
        return "replaced"


class Reencoded(Base):
    @classmethod
    def encode(cls) -> str:
        return "reencoded"


class Mixin:
    def hook(self) -> str:
        return "mixin"


class MixinBelow(Base, Mixin):
    # Base.hook comes first, but a super() call from it would now reach the mixin.
    pass


def test_a_subclass_that_defines_nothing_keeps_the_hooks() -> None:
    assert not overrides(Kept, Hooks(Base, "hook", "encode"))
    assert not overrides(Base, Hooks(Base, "hook"))


def test_a_subclass_defining_one_of_the_hooks_overrides_them() -> None:
    assert overrides(Replaced, Hooks(Base, "hook", "encode"))
    assert not overrides(Replaced, Hooks(Base, "encode"))


def test_class_methods_compare_as_defined() -> None:
    assert not overrides(Kept, Hooks(Base, "encode"))
    assert overrides(Reencoded, Hooks(Base, "encode"))


def test_a_definition_anywhere_in_the_mro_counts() -> None:
    assert overrides(MixinBelow, Hooks(Base, "hook"))


def test_equal_hooks_are_the_same_object() -> None:
    assert Hooks(Base, "hook", "encode") is Hooks(Base, "hook", "encode")
    assert Hooks(Base, "encode", "hook") is not Hooks(Base, "hook", "encode")
