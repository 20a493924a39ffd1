"""The machine facts the start-of-run check compares (spec §5.4) come from quick look-ups that must
answer exactly as the standard library does, or say they cannot."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from conftest import SPEC
from hypothesis import given
from hypothesis import strategies as st
from seedlock import frameworks as fw_modules
from seedlock.seeding import _machine, runcheck
from seedlock.spec import _json


def _installed_names() -> list[str]:
    names = {dist.metadata["Name"] for dist in metadata.distributions() if dist.metadata["Name"]}
    return sorted(names, key=str.lower)


def test_every_installed_distribution_has_the_version_importlib_metadata_gives() -> None:
    names = _installed_names()
    assert len(names) > 50  # the test environment: numpy, torch, tensorflow, jax, rpy2, pytest, ...
    unsure = []
    for name in names:
        quick = _machine.quick_distribution_version(name)
        if quick is _machine.UNSURE:
            unsure.append(name)
            continue
        assert quick == metadata.version(name), name
        # Spellings importlib.metadata accepts for the same distribution find it too.
        for spelling in {name.upper(), name.replace("-", "_"), name.replace("_", "-").replace(".", "-")}:
            assert _machine.quick_distribution_version(spelling) == metadata.version(spelling), spelling
    assert not unsure, unsure  # a plain venv: every answer is the quick one


def test_a_distribution_that_is_not_installed_has_no_version() -> None:
    assert _machine.quick_distribution_version("no-such-distribution-seedlock") is None
    assert _machine.distribution_version(["no-such-distribution-seedlock", "numpy"]) == metadata.version("numpy")


@pytest.mark.parametrize("name", ["numpy", "Foo.Bar_baz", "foo__bar", "_private", "a-.-b", "UPPER", "x.y.z"])
def test_names_are_normalised_as_importlib_metadata_normalises_them(name: str) -> None:
    assert _machine._normalize(name) == re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


@given(st.text(alphabet="aZ09-_.", max_size=12))
def test_normalisation_agrees_with_importlib_metadata_on_any_name(name: str) -> None:
    assert _machine._normalize(name) == re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def _dist_info(directory: Path, dirname: str, version: str | None, filename: str = "METADATA") -> None:
    info = directory / dirname
    info.mkdir(parents=True)
    headers = ["Metadata-Version: 2.1", "Name: demo-pkg"] + ([f"Version: {version}"] if version else [])
    (info / filename).write_text("\n".join(headers) + "\n\nA long description.\nVersion: not-a-header\n")


def _with_path(monkeypatch: pytest.MonkeyPatch, *entries: Path) -> None:
    monkeypatch.setattr(sys, "path", [str(e) for e in entries] + sys.path)
    monkeypatch.setattr(_machine, "_INDEXES", {})


def test_the_first_directory_on_sys_path_wins_as_in_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dist_info(tmp_path / "a", "demo_pkg-1.0.dist-info", "1.0")
    _dist_info(tmp_path / "b", "Demo.Pkg-2.0.dist-info", "2.0")
    _dist_info(tmp_path / "c", "demo_pkg-3.0.egg-info", "3.0", filename="PKG-INFO")
    for order, expected in (("abc", "1.0"), ("bac", "2.0"), ("cab", "3.0")):
        _with_path(monkeypatch, *(tmp_path / d for d in order))
        assert _machine.quick_distribution_version("demo-pkg") == metadata.version("demo-pkg") == expected


@pytest.mark.parametrize(
    "case",
    [
        "zip on the path",
        "two directories for one name",
        "no version header",
        "an egg directory on the path",
        "a metadata finder of its own",
    ],
)
def test_what_only_importlib_metadata_can_tell_is_left_to_it(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected: str | None = "1.5"
    if case == "zip on the path":
        archive = tmp_path / "deps.zip"
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("demo_pkg-1.5.dist-info/METADATA", "Name: demo-pkg\nVersion: 1.5\n")
        _with_path(monkeypatch, archive)
    elif case == "two directories for one name":
        _dist_info(tmp_path, "demo_pkg-1.5.dist-info", "1.5")
        _dist_info(tmp_path, "Demo.Pkg-1.6.dist-info", "1.6")
        _with_path(monkeypatch, tmp_path)
        expected = metadata.version("demo-pkg")  # whichever the directory listing gives first
    elif case == "no version header":
        _dist_info(tmp_path, "demo_pkg-1.5.dist-info", None)
        _with_path(monkeypatch, tmp_path)
        expected = None
    elif case == "an egg directory on the path":
        egg = tmp_path / "demo_pkg-1.5-py3.11.egg"
        (egg / "EGG-INFO").mkdir(parents=True)
        _with_path(monkeypatch, egg)
        expected = "unknown"
    else:

        class Finder:
            @staticmethod
            def find_spec(*_args: object) -> None:
                return None

            @staticmethod
            def find_distributions(*_args: object) -> list[object]:
                return []

        monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
        expected = metadata.version("numpy")
        assert _machine.quick_distribution_version("numpy") is _machine.UNSURE
        assert _machine.distribution_version(["numpy"]) == expected
        return
    assert _machine.quick_distribution_version("demo-pkg") is _machine.UNSURE
    if expected != "unknown":
        assert _machine.distribution_version(["demo-pkg"]) == expected  # the slow path answers


def test_interpreter_platform_and_device_are_what_platform_and_the_os_say() -> None:
    assert _machine.python_version() == platform.python_version()
    assert _machine.platform_tag() == f"{platform.system()}-{platform.release()}-{platform.machine()}"
    expected = (
        "gpu-nvidia"
        if os.path.exists("/proc/driver/nvidia/version")
        else "gpu-amd"
        if os.path.exists("/dev/kfd")
        else "cpu"
    )
    assert _machine.device_kind() == expected


def test_r_version_is_what_rscript_prints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Rscript is missing on CI")
        pytest.skip("Rscript is not installed: run `make setup` (in CI this fails instead)")
    out = subprocess.run([rscript, "--version"], capture_output=True, text=True, check=True)
    match = re.search(r"version (\d+\.\d+\.\d+)", out.stdout + out.stderr)
    assert match and _machine.rscript_version() == match.group(1)
    monkeypatch.setenv("PATH", str(tmp_path))  # no Rscript at all
    assert _machine.rscript_version() is None
    fake = tmp_path / "Rscript"
    fake.write_text("#!/bin/sh\necho 'Rscript (R) version 9.8.7 (2030-01-01)'\nexit 3\n")
    fake.chmod(0o755)
    assert _machine.rscript_version() is None  # a failing Rscript has no version
    fake.write_text("#!/bin/sh\necho 'Rscript (R) version 9.8.7 (2030-01-01)' >&2\n")
    assert _machine.rscript_version() == "9.8.7"


@given(st.text(alphabet="version 0123456789.x", max_size=40))
def test_the_version_pattern_reads_as_the_regex_it_replaces(text: str) -> None:
    match = re.search(r"version ([0-9]+\.[0-9]+\.[0-9]+)", text)
    assert _machine.version_after(text, "version ") == (match.group(1) if match else None)


def test_the_launchers_version_of_each_framework_is_the_framework_modules() -> None:
    registry = _json.loads((SPEC / "registry.json").read_bytes())
    for entry in registry["frameworks"]:
        module = fw_modules.get(entry["name"])
        assert runcheck.framework_version(entry["name"]) == module.version(), entry["name"]


def test_every_installed_entry_point_is_found_as_importlib_metadata_finds_it() -> None:
    # Extension seeders are looked up in every auto-seeded interpreter of their stage, without importlib.metadata.
    from importlib import metadata

    points = [point for dist in metadata.distributions() for point in dist.entry_points]
    assert any(point.group == "console_scripts" for point in points)
    for point in points:
        quick = _machine.entry_point_value(point.group, point.name)
        first = next(iter(metadata.entry_points(group=point.group, name=point.name))).value
        assert quick is _machine.UNSURE or quick == first, (point.group, point.name)
    assert _machine.entry_point_value("seedlock.seeders", "x-no-such-seeder") is None


def test_a_seeder_two_distributions_register_is_the_one_importlib_metadata_lists_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The quick look-up stops at the first registration, in importlib.metadata's order (path, then listing).
    for place, dist, value in (
        ("a", "alpha_seeder-1.0.dist-info", "alpha:seed"),
        ("b", "beta_seeder-1.0.dist-info", "beta:seed"),
    ):
        _dist_info(tmp_path / place, dist, "1.0")
        (tmp_path / place / dist / "entry_points.txt").write_text(f"[seedlock.seeders]\nx-demo = {value}\n")
    for order in ("ab", "ba"):
        _with_path(monkeypatch, *(tmp_path / d for d in order))
        first = next(iter(metadata.entry_points(group="seedlock.seeders", name="x-demo"))).value
        assert (
            _machine.entry_point_value("seedlock.seeders", "x-demo")
            == first
            == f"{'alpha' if order == 'ab' else 'beta'}:seed"
        )


@pytest.mark.parametrize(
    "text",
    [
        "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.5\n\n" + "A long description.\n" * 5000,
        "Metadata-Version: 2.1\nName: demo-pkg\n" + "Classifier: Topic :: Demo\n" * 1000 + "Version: 1.5\n\n",
        "Metadata-Version: 2.1\nName: demo-pkg\n" + "Classifier: Topic :: Demo\n" * 315 + "Version: 1.5",
        "Metadata-Version: 2.1\r\nName: demo-pkg\r\nVersion: 1.5\r\n\r\nDescription\r\n",
        "Name: demo-pkg\nVersion: 1.5",
    ],
    ids=["long description", "version past the first 8 kB", "no newline at the end", "CRLF", "two lines"],
)
def test_the_version_header_is_read_as_importlib_metadata_reads_it_from_the_first_kilobytes(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = tmp_path / "demo_pkg-1.5.dist-info"
    info.mkdir()
    (info / "METADATA").write_bytes(text.encode())
    _with_path(monkeypatch, tmp_path)
    assert _machine.quick_distribution_version("demo-pkg") == metadata.version("demo-pkg") == "1.5"
