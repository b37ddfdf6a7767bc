"""One exception tree for everything declutter raises on purpose."""

from __future__ import annotations

__all__ = [
    "BoilerplateError",
    "InputError",
    "EncodingError",
    "InputTooLargeError",
    "EmptyInputError",
    "ModelError",
    "EngineError",
    "OptionError",
]


class BoilerplateError(Exception):
    """Root of every error declutter raises on purpose."""


class InputError(BoilerplateError, ValueError):
    """The input is not a page declutter can read (wrong type, binary, empty...)."""


class EncodingError(InputError):
    """Bytes that cannot be decoded as text in any plausible encoding."""


class EmptyInputError(InputError):
    """The input is empty or holds only whitespace."""


class InputTooLargeError(InputError):
    """The input is larger than the configured ``max_bytes`` guard."""


class ModelError(BoilerplateError, RuntimeError):
    """The model file is missing, corrupt, or made for another feature version."""


class EngineError(BoilerplateError, RuntimeError):
    """An engine failed or is not available."""


class OptionError(BoilerplateError, ValueError):
    """An option is out of range or unknown (engine, kind, threshold, max_bytes...)."""
