"""Virtual packages: what the solver may assume about the machine, and what this machine has.

A *virtual package* is a record that no channel serves. Its name starts with two underscores
(``__glibc``, ``__cuda``, ``__osx``, ``__linux``, ``__unix``, ``__win``, ``__archspec``) and it
stands for a fact about the computer: "the C library is glibc 2.28", "the NVIDIA driver supports
CUDA 12". Packages depend on those facts like on any other package (``pytorch`` built for CUDA
depends on ``__cuda``), so the solver can only pick them where the fact holds.

Two moments use them, and the lesson insists they stay apart:

1. **Solving is machine-agnostic.** For every platform of the manifest, the host included, the
   solve assumes Pixi's defaults (``__glibc`` 2.28 and ``__linux`` 4.18 on Linux, ``__osx`` 13.0
   on macOS, ``__win`` 10.0 on Windows, ``__unix``, an ``__archspec`` for the subdir) plus what
   the manifest declares in ``[system-requirements]`` or on a rich platform entry. ``__cuda`` is
   never assumed: only a declared ``cuda = "12"`` adds it. `default_virtual_packages` builds this
   list, so a laptop without a GPU can lock a GPU environment for a cluster.
2. **Installing asks the machine.** `detect_virtual_packages` looks at this computer (uname, the
   C library, NVML / libcuda / nvidia-smi for CUDA), and each ``CONDA_OVERRIDE_<NAME>`` variable
   replaces what was found (an empty value removes the package). `check_installable` refuses an
   environment whose records need more than the machine has, and says how to fix it. Setting
   ``CONDA_OVERRIDE_CUDA=12`` is how an image is built for GPUs on a machine without one: the
   reason the lesson's Dockerfile sets it.

Lesson: Episode 5 ("System requirements and CUDA"). Read after `channel/load.py`; read next
`solver/`. Ground truth: rattler_virtual_packages (defaults in its ``defaults.rs``) and Pixi's
``get_minimal_virtual_packages`` / machine validation.
"""

from __future__ import annotations

import ctypes
import os
import platform as host_platform
import re
import subprocess
import sys
from typing import Iterable, Mapping

from minipixi.errors import InstallError
from minipixi.matchspec import MatchSpec
from minipixi.records import PackageRecord

# --8<-- [start:defaults]
DEFAULT_GLIBC = "2.28"  # RHEL 8 / Debian 10
DEFAULT_LINUX = "4.18"  # the RHEL 8 kernel
DEFAULT_MACOS = "13.0"  # osx-64 and osx-arm64 alike
DEFAULT_WINDOWS = "10.0"

# The oldest microarchitecture a subdir's binaries may assume (archspec names, as rattler uses).
ARCHSPEC_OF_SUBDIR = {
    "linux-32": "x86", "win-32": "x86",
    "linux-64": "x86_64", "osx-64": "x86_64", "win-64": "x86_64",
    "linux-aarch64": "aarch64", "linux-armv6l": "aarch64", "linux-armv7l": "aarch64",
    "win-arm64": "aarch64", "osx-arm64": "m1",
    "linux-ppc64le": "ppc64le", "linux-ppc64": "ppc64", "linux-s390x": "s390x",
    "linux-riscv32": "riscv32", "linux-riscv64": "riscv64",
}
# --8<-- [end:defaults]

# The virtual packages Pixi checks against the machine before installing. `__archspec` and
# `__unix` are left out: judging a microarchitecture needs a CPU database we do not carry.
CHECKED_AT_INSTALL = ("__glibc", "__musl", "__eglibc", "__cuda", "__osx", "__win", "__linux")

OVERRIDE_VARIABLES = {
    "__cuda": "CONDA_OVERRIDE_CUDA",
    "__glibc": "CONDA_OVERRIDE_GLIBC",
    "__osx": "CONDA_OVERRIDE_OSX",
    "__linux": "CONDA_OVERRIDE_LINUX",
    "__win": "CONDA_OVERRIDE_WIN",
    "__archspec": "CONDA_OVERRIDE_ARCHSPEC",
}


def virtual_record(name: str, version: str, build: str = "0") -> PackageRecord:
    """One virtual package as a record (no file, no channel), the shape a solver expects."""
    return PackageRecord(name=name, version=str(version), build=build)


def is_virtual(name: str) -> bool:
    """Virtual package names start with two underscores."""
    return name.startswith("__")


# --8<-- [start:default_virtual_packages]
def default_virtual_packages(
    platform: str,
    *,
    cuda: str | float | Mapping | None = None,
    libc: str | float | Mapping | tuple | None = None,
    linux: str | float | None = None,
    macos: str | float | None = None,
    archspec: str | None = None,
    windows: str | float | None = None,
) -> list[PackageRecord]:
    """The virtual packages a solve for `platform` (a subdir such as "linux-64") may assume.

    Pixi's defaults, overridden by what the manifest declares: `cuda` ("12", or a table
    ``{driver, arch}`` that also declares ``__cuda_arch``), `libc` (a version, or a table
    ``{family, version}``, or a ``(family, version)`` pair), `linux`, `macos`, `archspec` and
    `windows`. ``__cuda`` appears only when `cuda` is given. Order: as Pixi lists them.
    """
    os_name = platform.split("-")[0]
    records = []
    if os_name in ("linux", "osx", "emscripten", "wasi", "zos"):
        records.append(virtual_record("__unix", "0"))
    if os_name == "linux":
        records.append(virtual_record("__linux", str(linux or DEFAULT_LINUX)))
        family, version = _libc_family_and_version(libc)
        records.append(virtual_record(f"__{family}", version))
    if os_name == "win":
        records.append(virtual_record("__win", str(windows or DEFAULT_WINDOWS)))
    if os_name == "osx":
        records.append(virtual_record("__osx", str(macos or DEFAULT_MACOS)))
    records.extend(_cuda_records(cuda))
    arch = archspec or ARCHSPEC_OF_SUBDIR.get(platform)
    if arch:
        records.append(virtual_record("__archspec", "1", arch))
    return records
# --8<-- [end:default_virtual_packages]


def declared_virtual_packages(resolved) -> list[PackageRecord]:
    """The virtual packages a solve of a resolved environment assumes: the defaults for its
    subdir with what the manifest declares (system requirements, a rich platform entry)."""
    return default_virtual_packages(resolved.subdir, **resolved.virtual_package_options())


def _libc_family_and_version(libc) -> tuple[str, str]:
    """("glibc", "2.28") from any of the manifest's spellings of `libc`."""
    if libc is None:
        return "glibc", DEFAULT_GLIBC
    if isinstance(libc, Mapping):
        return str(libc.get("family", "glibc")).lower(), str(libc.get("version", DEFAULT_GLIBC))
    if isinstance(libc, tuple):
        return str(libc[0]).lower(), str(libc[1])
    return "glibc", str(libc)


def _cuda_records(cuda) -> list[PackageRecord]:
    """``__cuda`` (and ``__cuda_arch`` for the table form), or nothing when CUDA is undeclared."""
    if cuda is None:
        return []
    if isinstance(cuda, Mapping):
        records = [virtual_record("__cuda", str(cuda["driver"]))]
        if cuda.get("arch"):
            records.append(virtual_record("__cuda_arch", str(cuda["arch"])))
        return records
    return [virtual_record("__cuda", str(cuda))]


# --- detection: this machine, at install time ------------------------------------------------


# --8<-- [start:detect]
def detect_virtual_packages(environ: Mapping[str, str] | None = None) -> list[PackageRecord]:
    """The virtual packages of this machine, each replaceable by ``CONDA_OVERRIDE_<NAME>``.

    An override with a value replaces what was detected (or adds it: ``CONDA_OVERRIDE_CUDA=12``
    on a machine without a GPU); an empty value removes the package. Never raises: a probe that
    fails means the package is absent.
    """
    env = os.environ if environ is None else environ
    system = host_platform.system()
    records = []
    if os.name == "posix":
        records.append(virtual_record("__unix", "0"))
    probes = {
        "__linux": detect_linux_version if system == "Linux" else None,
        "__glibc": detect_glibc_version if system == "Linux" else None,
        "__osx": detect_macos_version if system == "Darwin" else None,
        "__win": detect_windows_version if sys.platform == "win32" else None,
        "__cuda": detect_cuda_version,
    }
    for name, probe in probes.items():
        version = _with_override(env, name, probe)
        if version:
            records.append(virtual_record(name, version))
    arch = _with_override(env, "__archspec", detect_archspec)
    if arch:
        records.append(virtual_record("__archspec", "1", arch))
    return records
# --8<-- [end:detect]


def _with_override(env: Mapping[str, str], name: str, probe) -> str | None:
    """The override's value when the variable is set (None when empty), else the probe's."""
    variable = OVERRIDE_VARIABLES.get(name)
    if variable and variable in env:
        return env[variable].strip() or None
    if probe is None:
        return None
    try:
        return probe()
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def detect_linux_version() -> str | None:
    """The kernel version from uname, cut to its numeric part ("6.8.0-45-generic" -> "6.8.0")."""
    match = re.match(r"\d+(\.\d+){0,3}", host_platform.release())
    return match.group(0) if match else None


def detect_glibc_version() -> str | None:
    """The glibc version, from ``confstr`` ("glibc 2.36") or else from ``ldd --version``."""
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError, AttributeError):
        text = ""
    if not text.startswith("glibc"):
        output = subprocess.run(["ldd", "--version"], capture_output=True, text=True, timeout=5)
        text = output.stdout.splitlines()[0] if output.stdout else ""
        if "GLIBC" not in text.upper() and "GNU" not in text.upper():
            return None
    match = re.search(r"(\d+\.\d+(\.\d+)?)\s*$", text.strip())
    return match.group(1) if match else None


def detect_macos_version() -> str | None:
    """The macOS product version ("14.5")."""
    return host_platform.mac_ver()[0] or None


def detect_windows_version() -> str | None:
    """The Windows version ("10.0.22631")."""
    return host_platform.version() or None


def detect_archspec() -> str | None:
    """The CPU family as an archspec name (generic: x86_64, aarch64, m1 on Apple silicon)."""
    machine = host_platform.machine().lower()
    aliases = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64", "i686": "x86"}
    machine = aliases.get(machine, machine)
    if host_platform.system() == "Darwin" and machine == "aarch64":
        return "m1"
    return machine or None


# --8<-- [start:detect_cuda]
def detect_cuda_version() -> str | None:
    """The newest CUDA version the NVIDIA driver supports ("12.4"), or None without a driver.

    Tried in Pixi's order: NVML (``libnvidia-ml``), then the driver API (``libcuda``), then the
    ``nvidia-smi`` program. The driver reports an integer such as 12040 = 12.4.
    """
    for probe in (_cuda_from_nvml, _cuda_from_libcuda, _cuda_from_nvidia_smi):
        try:
            version = probe()
        except (OSError, AttributeError, ValueError, subprocess.SubprocessError):
            version = None
        if version:
            return version
    return None
# --8<-- [end:detect_cuda]


def format_cuda_driver_version(number: int) -> str:
    """12040 -> "12.4": the driver API's integer as major.minor."""
    return f"{number // 1000}.{(number % 1000) // 10}"


def _load_library(names: Iterable[str]):
    for name in names:
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def _cuda_from_nvml() -> str | None:
    lib = _load_library(["libnvidia-ml.so.1", "libnvidia-ml.so", "nvml.dll"])
    if lib is None or lib.nvmlInit_v2() != 0:
        return None
    try:
        number = ctypes.c_int()
        if lib.nvmlSystemGetCudaDriverVersion_v2(ctypes.byref(number)) != 0:
            return None
        return format_cuda_driver_version(number.value)
    finally:
        lib.nvmlShutdown()


def _cuda_from_libcuda() -> str | None:
    lib = _load_library(["libcuda.so.1", "libcuda.so", "libcuda.dylib", "nvcuda.dll"])
    if lib is None or lib.cuInit(0) != 0:
        return None
    number = ctypes.c_int()
    if lib.cuDriverGetVersion(ctypes.byref(number)) != 0:
        return None
    return format_cuda_driver_version(number.value)


def _cuda_from_nvidia_smi() -> str | None:
    try:
        output = subprocess.run(
            ["nvidia-smi", "--query", "-u", "-x"], capture_output=True, text=True, timeout=10
        )
    except FileNotFoundError:
        return None
    match = re.search(r"<cuda_version>\s*([\d.]+)\s*</cuda_version>", output.stdout)
    return match.group(1) if match else None


# --- refusing to install what the machine cannot run -----------------------------------------


def required_virtual_packages(records: Iterable[PackageRecord]) -> list:
    """The virtual-package specs that `records` depend on (``__cuda >=12``), sorted, unique."""
    texts = {dep for record in records for dep in record.depends if is_virtual(dep.strip())}
    return [MatchSpec.parse(text) for text in sorted(texts)]


# --8<-- [start:check_installable]
def check_installable(
    required: Iterable, detected: Iterable[PackageRecord], *, environment: str | None = None
) -> None:
    """Raise InstallError unless every spec in `required` is met by a `detected` package.

    `required` holds MatchSpecs or their text (the virtual ``depends`` of a locked environment,
    see `required_virtual_packages`). Only the names Pixi checks are judged (CHECKED_AT_INSTALL).
    The error names the package, what is required and what was found, and the fix.
    """
    detected = list(detected)
    for item in required:
        spec = MatchSpec.parse(item) if isinstance(item, str) else item
        if spec.name not in CHECKED_AT_INSTALL:
            continue
        if not any(spec.matches(record) for record in detected):
            raise _unmet_error(spec, detected, environment)


def spec_words(spec) -> str:
    """A virtual-package spec as people write it: "__cuda >=12" (not conda's bracket form)."""
    return f"{spec.name} {spec.version}" if spec.version is not None else spec.name
# --8<-- [end:check_installable]


def _unmet_error(spec, detected: list[PackageRecord], environment: str | None) -> InstallError:
    found = next((r for r in detected if r.name == spec.name), None)
    found_text = f"{spec.name} {found.version}" if found else f"no {spec.name}"
    what = f"environment '{environment}'" if environment else "this environment"
    error = InstallError(
        f"this machine cannot run {what}: it needs {spec_words(spec)} but the machine has {found_text}",
        hint=_fix_for(spec, found),
    )
    error.package, error.required = spec.name, spec_words(spec)
    error.found = found.version if found else None
    return error


def _wanted_version(spec) -> str | None:
    """The version a spec on a virtual package names ("__cuda >=12.1" -> "12.1")."""
    match = re.search(r"\d+(\.\d+)*", str(spec.version)) if spec.version is not None else None
    return match.group(0) if match else None


def _fix_for(spec, found: PackageRecord | None) -> str:
    """The fix for an unmet virtual package, in the words of the manifest and the environment."""
    version = _wanted_version(spec)
    if spec.name == "__cuda":
        want = version or "12"
        driver = "install an NVIDIA driver" if found is None else "update the NVIDIA driver to one"
        return (
            f"{driver} that supports CUDA {want}; to build an image on a machine without a GPU, "
            f"set CONDA_OVERRIDE_CUDA={want}"
        )
    key = {"__glibc": "libc", "__musl": "libc", "__eglibc": "libc", "__linux": "linux",
           "__osx": "macos", "__win": "windows"}[spec.name]
    variable = OVERRIDE_VARIABLES.get(spec.name, "CONDA_OVERRIDE_" + spec.name[2:].upper())
    have = found.version if found else "none"
    return (
        f"this machine has {spec.name[2:]} {have}: set {key} = \"{have}\" in the manifest's system "
        f"requirements and lock again, or run on a newer machine (or set {variable} if you know "
        f"better than the detection)"
    )
