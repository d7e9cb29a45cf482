"""The fp16 <-> fp32 array routines chosen at run time (F16C / NEON / scalar) against the
scalar loops, at C++ level: every half, 4 million float32 bit patterns (every high
half-word with 64 low ones), odd lengths and offsets, and on x86 with MXCSR's flush-to-zero
and denormals-are-zero bits set. A small driver (tests/cpp/half_check.cpp) is built against
the installed library."""
import os
import platform
import shutil
import subprocess

import pytest

import opencoreml
from conftest import HERE

SRC = os.path.join(HERE, "..", "coremlpython", "src")
INCLUDE = os.path.join(HERE, "..", "coremlpython", "include")
DRIVER = os.path.join(HERE, "cpp", "half_check.cpp")
X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    compiler = shutil.which("g++") or shutil.which("c++")
    assert compiler, "a C++ compiler is required to build the half_check driver"
    lib = opencoreml.get_lib_dir()
    out = str(tmp_path_factory.mktemp("half_check") / "half_check")
    cmd = [compiler, "-std=c++17", "-O1", DRIVER, "-I" + SRC, "-I" + INCLUDE, "-L" + lib, "-lopencoreml",
           "-Wl,-rpath," + lib, "-o", out]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("mode", ["default", "ftz"] if X86 else ["default"])
def test_vector_routines_match_the_scalar_loops(driver, mode):
    env = dict(os.environ)
    env.pop("OPENCOREML_SCALAR_FP16", None)
    result = subprocess.run([driver] + ([mode] if mode != "default" else []), capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    path, mismatches = result.stdout.split()
    assert path in ("f16c", "neon", "scalar")
    assert int(mismatches) == 0
