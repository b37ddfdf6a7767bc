"""Optional C speed-ups; everything else is declared in pyproject.toml.

Every extension here is optional: where one cannot be compiled (no C compiler,
no Python headers), setuptools prints a warning, the install goes on, and
declutter runs the Python code it mirrors, with the same results
(tests/test_ctrees.py, test_cwalk.py and test_cfeatures.py check that both
agree; `declutter --version` says which ones run). They need the Python
headers only (no numpy, libxml2 or lxml headers).
"""

from setuptools import Extension, setup

# No -ffast-math anywhere: the order of floating-point operations is part of
# the results (the trees add leaf values in boosting order).
_FLAGS = ["-O2"]

setup(
    ext_modules=[
        Extension("boilerplate._ctrees", ["boilerplate/_ctrees.c"], depends=["boilerplate/_cbuf.h"],
                  optional=True, extra_compile_args=_FLAGS),
        Extension("boilerplate._cwalk", ["boilerplate/_cwalk.c"], optional=True,
                  extra_compile_args=_FLAGS),
    ],
)
