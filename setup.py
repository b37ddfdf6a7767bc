"""Optional compiled speed-ups; everything else is declared in pyproject.toml.

Every extension here is optional: where one cannot be compiled (no C compiler,
no Python headers), setuptools prints a warning, the install goes on, and
declutter runs the Python code instead, with the same results
(tests/test_walk.py and test_trees.py check that both agree; ``declutter
--version`` says which ones run).

Both are Cython. The walk (``_cwalk.pyx``) is built on lxml's public C-API
(``lxml.includes.etreepublic``) and libxml2's ``tree.h``, with the headers
``lxml.get_include()`` gives; the trees (``_ctrees.pyx``) need nothing else.
Cython and lxml are build requirements (pyproject.toml); Cython writes its C
to build/, not next to the sources.
"""

import lxml
from Cython.Build import cythonize
from setuptools import Extension, setup

# No -ffast-math anywhere: the order of floating-point operations is part of
# the results (the trees add leaf values in boosting order).
_FLAGS = ["-O2"]

_EXTENSIONS = cythonize([
    Extension("boilerplate._cwalk", ["boilerplate/_cwalk.pyx"], include_dirs=lxml.get_include(),
              extra_compile_args=_FLAGS),
    Extension("boilerplate._ctrees", ["boilerplate/_ctrees.pyx"], extra_compile_args=_FLAGS),
], build_dir="build/cython", language_level=3)
for _extension in _EXTENSIONS:
    _extension.optional = True  # cythonize makes new Extensions without it

setup(ext_modules=_EXTENSIONS)
