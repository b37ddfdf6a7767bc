"""Optional C speed-ups; everything else is declared in pyproject.toml.

Both extensions are optional: where they cannot be compiled (no C compiler,
no Python headers), setuptools prints a warning, the install goes on, and
declutter runs the pure-Python/numpy code they mirror, with the same results
(tests/test_ctrees.py and tests/test_cwalk.py check that both agree).
They need the Python headers only (no numpy, libxml2 or lxml headers).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("boilerplate._ctrees", ["boilerplate/_ctrees.c"], optional=True,
                  extra_compile_args=["-O2", "-fno-fast-math"]),
        Extension("boilerplate._cwalk", ["boilerplate/_cwalk.c"], optional=True,
                  extra_compile_args=["-O2"]),
    ],
)
