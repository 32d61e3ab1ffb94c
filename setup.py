"""Build configuration beyond pyproject.toml: the optional compiled PNG counting kernel.

``maskstats.readers.pngkernel`` (maskstats/readers/pngkernel.c) needs a C compiler and
zlib's header (``zlib1g-dev`` / ``zlib-devel``). It is optional: when it cannot be built,
the install goes on without it and PNG masks are counted by the pure Python readers, with
identical results (``maskstats --version`` names the path in use). Set
``MASKSTATS_NO_EXTENSION=1`` to install without it on purpose.
"""

import os
import sys

from setuptools import Extension, setup

ext_modules = []
if os.environ.get("MASKSTATS_NO_EXTENSION", "") in ("", "0"):
    ext_modules.append(Extension(
        "maskstats.readers.pngkernel",
        sources=["maskstats/readers/pngkernel.c"],
        libraries=["z"] + (["dl"] if sys.platform.startswith("linux") else []),
        extra_compile_args=["-O3", "-std=c99"] if os.name != "nt" else [],
        optional=True,  # a failed build is a warning: the Python readers serve instead
    ))

setup(ext_modules=ext_modules)
