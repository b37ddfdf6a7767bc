"""boilerplate.errors: one exception tree, each class also its builtin look-alike."""

from __future__ import annotations

import pytest

import boilerplate
from boilerplate import errors
from boilerplate.errors import (
    BoilerplateError,
    EmptyInputError,
    EncodingError,
    EngineError,
    InputError,
    InputTooLargeError,
    ModelError,
    OptionError,
)

TREE = {
    # class: (its parent in our tree, the builtin it resembles)
    InputError: (BoilerplateError, ValueError),
    EncodingError: (InputError, ValueError),
    EmptyInputError: (InputError, ValueError),
    InputTooLargeError: (InputError, ValueError),
    ModelError: (BoilerplateError, RuntimeError),
    EngineError: (BoilerplateError, RuntimeError),
    OptionError: (BoilerplateError, ValueError),
}


def test_root_is_a_plain_exception():
    assert issubclass(BoilerplateError, Exception)
    assert not issubclass(BoilerplateError, (ValueError, RuntimeError))


@pytest.mark.parametrize("cls", list(TREE), ids=lambda c: c.__name__)
def test_each_subclass_inherits_the_root_and_its_builtin(cls):
    parent, builtin = TREE[cls]
    assert issubclass(cls, BoilerplateError)
    assert issubclass(cls, parent)
    assert issubclass(cls, builtin)


@pytest.mark.parametrize("cls", list(TREE), ids=lambda c: c.__name__)
def test_each_subclass_can_be_caught_as_root_and_builtin(cls):
    _, builtin = TREE[cls]
    for catch in (BoilerplateError, builtin, cls):
        with pytest.raises(catch, match="boom"):
            raise cls("boom")


def test_value_and_runtime_branches_do_not_mix():
    for cls in (InputError, EncodingError, EmptyInputError, InputTooLargeError):
        assert not issubclass(cls, RuntimeError)
    for cls in (ModelError, EngineError):
        assert not issubclass(cls, ValueError)
        assert not issubclass(cls, InputError)


def test_module_exports_the_whole_tree():
    assert sorted(errors.__all__) == sorted(["BoilerplateError", *(c.__name__ for c in TREE)])
    for name in errors.__all__:
        assert getattr(boilerplate, name) is getattr(errors, name)
