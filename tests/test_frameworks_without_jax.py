"""The kit without its 'frameworks' extra: it imports, never loads JAX, and says what to install.

Run in fresh interpreters, so that a JAX imported by another test does not count and
an absent one can be simulated (``sys.modules["jax"] = None`` makes ``import jax`` fail).
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True).stdout


@pytest.mark.slow
def test_importing_the_kit_never_imports_jax():
    out = _run("import sys, stackkit\n"
               "for name in stackkit._SUBMODULES:\n    getattr(stackkit, name)\n"
               "print('jax' in sys.modules, 'optax' in sys.modules)")
    assert out.split() == ["False", "False"]


def test_without_jax_each_call_names_the_extra_and_bad_input_is_still_refused():
    out = _run("import sys\n"
               "sys.modules['jax'] = None; sys.modules['optax'] = None\n"
               "from stackkit import frameworks\n"
               "for call in (lambda: frameworks.train(steps=1),\n"
               "             lambda: frameworks.sharded_step('dp'),\n"
               "             lambda: frameworks.collective_sweep('psum')):\n"
               "    try:\n        call()\n"
               "    except ImportError as e:\n        print('ImportError:', e)\n"
               "try:\n    frameworks.train(steps=0)\n"
               "except ValueError as e:\n    print('ValueError:', e)\n"
               "print(frameworks.model_spec().params)")
    lines = out.splitlines()
    assert len([line for line in lines if line.startswith("ImportError:")
                and "pip install 'stackkit[frameworks]'" in line]) == 3
    assert any(line.startswith("ValueError: steps") for line in lines)
    assert int(lines[-1]) > 0  # the pure parts work without JAX
