"""Virtual packages: Pixi's defaults per platform, detection with overrides, the install check."""

from __future__ import annotations

import pytest

from minipixi.channel import virtual_packages as vp
from minipixi.errors import InstallError
from minipixi.channel.virtual_packages import (
    check_installable,
    default_virtual_packages,
    detect_virtual_packages,
    format_cuda_driver_version,
    required_virtual_packages,
    virtual_record,
)
from minipixi.records import PackageRecord


def as_lines(records):
    return [f"{r.name}={r.version}={r.build}" for r in records]


def test_linux_defaults_match_pixi():
    assert as_lines(default_virtual_packages("linux-64")) == [
        "__unix=0=0", "__linux=4.18=0", "__glibc=2.28=0", "__archspec=1=x86_64",
    ]


@pytest.mark.parametrize("platform, arch", [("osx-64", "x86_64"), ("osx-arm64", "m1")])
def test_macos_defaults_are_13_on_both_architectures(platform, arch):
    assert as_lines(default_virtual_packages(platform)) == ["__unix=0=0", "__osx=13.0=0", f"__archspec=1={arch}"]


def test_windows_has_no_unix_and_a_win_version():
    assert as_lines(default_virtual_packages("win-64")) == ["__win=10.0=0", "__archspec=1=x86_64"]


def test_aarch64_archspec():
    assert ("__archspec", "aarch64") in [(r.name, r.build) for r in default_virtual_packages("linux-aarch64")]


def test_cuda_only_when_declared():
    assert "__cuda" not in [r.name for r in default_virtual_packages("linux-64")]
    gpu = default_virtual_packages("linux-64", cuda="12")
    assert "__cuda=12=0" in as_lines(gpu)


def test_cuda_table_declares_cuda_arch():
    gpu = default_virtual_packages("linux-64", cuda={"driver": "12.0", "arch": "8.6"})
    assert {"__cuda=12.0=0", "__cuda_arch=8.6=0"} <= set(as_lines(gpu))


@pytest.mark.parametrize(
    "libc, expected",
    [("2.17", "__glibc=2.17=0"), (2.31, "__glibc=2.31=0"),
     ({"family": "glibc", "version": "2.34"}, "__glibc=2.34=0"),
     ({"family": "musl", "version": "1.2.4"}, "__musl=1.2.4=0")],
)
def test_system_requirements_override_libc(libc, expected):
    assert expected in as_lines(default_virtual_packages("linux-64", libc=libc))


def test_system_requirements_override_linux_macos_archspec():
    assert "__linux=5.10=0" in as_lines(default_virtual_packages("linux-64", linux="5.10"))
    assert "__osx=14.0=0" in as_lines(default_virtual_packages("osx-arm64", macos=14.0))
    assert "__archspec=1=x86_64_v3" in as_lines(default_virtual_packages("linux-64", archspec="x86_64_v3"))


def test_noarch_has_no_virtual_packages():
    assert default_virtual_packages("noarch") == []


def test_cuda_driver_integer_formatting():
    assert format_cuda_driver_version(12040) == "12.4"
    assert format_cuda_driver_version(11080) == "11.8"
    assert format_cuda_driver_version(12000) == "12.0"


# --- detection ------------------------------------------------------------------------------


def by_name(records):
    return {r.name: r for r in records}


def test_override_adds_cuda_on_a_machine_without_gpu(monkeypatch):
    monkeypatch.setattr(vp, "detect_cuda_version", lambda: None)
    found = by_name(detect_virtual_packages({"CONDA_OVERRIDE_CUDA": "12.4"}))
    assert found["__cuda"].version == "12.4"


def test_empty_override_disables(monkeypatch):
    monkeypatch.setattr(vp, "detect_cuda_version", lambda: "12.2")
    assert "__cuda" in by_name(detect_virtual_packages({}))
    assert "__cuda" not in by_name(detect_virtual_packages({"CONDA_OVERRIDE_CUDA": ""}))


def test_glibc_and_archspec_overrides(monkeypatch):
    monkeypatch.setattr(vp.host_platform, "system", lambda: "Linux")
    found = by_name(detect_virtual_packages({"CONDA_OVERRIDE_GLIBC": "2.17", "CONDA_OVERRIDE_ARCHSPEC": "zen4"}))
    assert found["__glibc"].version == "2.17"
    assert found["__archspec"].build == "zen4"


def test_failing_probe_means_absent(monkeypatch):
    def broken():
        raise OSError("no driver")

    monkeypatch.setattr(vp, "detect_cuda_version", broken)
    assert "__cuda" not in by_name(detect_virtual_packages({}))


def test_this_machine_is_described(monkeypatch):
    import platform

    found = by_name(detect_virtual_packages({"CONDA_OVERRIDE_CUDA": ""}))
    if platform.system() == "Linux":
        assert "__unix" in found and "__linux" in found
        assert found["__linux"].parsed_version >= vp.virtual_record("__linux", "2.6").parsed_version
        if "__glibc" in found:
            assert found["__glibc"].version.count(".") >= 1
    assert "__archspec" in found


def test_cuda_from_nvidia_smi_xml(monkeypatch):
    class Done:
        stdout = "<nvidia_smi_log><cuda_version>12.6</cuda_version></nvidia_smi_log>"

    monkeypatch.setattr(vp.subprocess, "run", lambda *a, **k: Done())
    assert vp._cuda_from_nvidia_smi() == "12.6"


def test_cuda_probes_tried_in_order(monkeypatch):
    monkeypatch.setattr(vp, "_cuda_from_nvml", lambda: None)
    monkeypatch.setattr(vp, "_cuda_from_libcuda", lambda: "12.1")
    monkeypatch.setattr(vp, "_cuda_from_nvidia_smi", lambda: pytest.fail("not reached"))
    assert vp.detect_cuda_version() == "12.1"


# --- refusing what the machine cannot run ---------------------------------------------------


def gpu_records():
    return [
        PackageRecord("pytorch", "2.7.0", "cuda126_h1", depends=("__cuda", "__glibc >=2.28", "python >=3.12")),
        PackageRecord("cuda-version", "12.6", "h0", depends=(), constrains=("__cuda >=12",)),
        PackageRecord("libgcc", "14.2", "h1", depends=("__glibc >=2.17,<3.0.a0",)),
    ]


def test_required_virtual_packages_are_collected_sorted_and_unique():
    specs = required_virtual_packages(gpu_records())
    assert [(s.name, str(s.version) if s.version else None) for s in specs] == [
        ("__cuda", None), ("__glibc", ">=2.17,<3.0.a0"), ("__glibc", ">=2.28")]


def test_installable_when_the_machine_has_enough():
    machine = [virtual_record("__unix", "0"), virtual_record("__glibc", "2.35"), virtual_record("__cuda", "12.4")]
    check_installable(required_virtual_packages(gpu_records()), machine)


def test_missing_cuda_names_package_versions_and_both_fixes():
    machine = [virtual_record("__glibc", "2.35")]
    with pytest.raises(InstallError) as caught:
        check_installable(["__cuda >=12"], machine, environment="gpu")
    error = caught.value
    assert error.package == "__cuda" and error.found is None
    assert "environment 'gpu'" in error.message and "__cuda >=12" in error.message
    assert "no __cuda" in error.message
    assert "CONDA_OVERRIDE_CUDA=12" in error.hint and "NVIDIA driver" in error.hint


def test_old_glibc_names_required_and_found_versions():
    machine = [virtual_record("__glibc", "2.17")]
    with pytest.raises(InstallError) as caught:
        check_installable(["__glibc >=2.28"], machine)
    error = caught.value
    assert "__glibc >=2.28" in error.message and "__glibc 2.17" in error.message
    assert error.found == "2.17"
    assert 'libc = "2.17"' in error.hint


def test_archspec_and_unix_are_not_judged():
    check_installable(["__archspec 1 x86_64_v4", "__unix"], [virtual_record("__glibc", "2.35")])
