"""PEP 517 build backend of wasmkiln: configures and builds the extension with CMake for the
running Python, then writes the wheel itself (so neither setuptools nor wheel is needed)."""

import base64
import hashlib
import io
import os
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import tomllib
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _project():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]


def _tag():
    ver = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{ver}-{ver}{sys.abiflags}-{plat}"


def _metadata(project):
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project['description']}",
        f"License: {project['license']['text']}",
        f"Requires-Python: {project['requires-python']}",
        "Description-Content-Type: text/markdown",
        "",
    ]
    with open(os.path.join(ROOT, project["readme"]), encoding="utf-8") as f:
        return "\n".join(lines) + "\n" + f.read()


def _cmake_build(build_dir):
    """Builds the extension target; returns the directory holding the package."""
    jobs = str(min(os.cpu_count() or 1, 4))
    configure = ["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                 f"-DPython3_EXECUTABLE={sys.executable}", "-DWK_BUILD_TESTS=OFF"]
    subprocess.run(configure, check=True, stdout=sys.stderr)
    subprocess.run(["cmake", "--build", build_dir, "--target", "_wasmkiln", "-j", jobs],
                   check=True, stdout=sys.stderr)
    return os.path.join(build_dir, "python", "wasmkiln")


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _write_wheel(path, pkg_dir, project, tag):
    dist_info = f"{project['name']}-{project['version']}.dist-info"
    records = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as whl:
        def add(name, data):
            whl.writestr(name, data)
            records.append(_record_line(name, data))
        for name in sorted(os.listdir(pkg_dir)):
            full = os.path.join(pkg_dir, name)
            if os.path.isfile(full) and not name.endswith(".pyc"):
                with open(full, "rb") as f:
                    add(f"wasmkiln/{name}", f.read())
        add(f"{dist_info}/METADATA", _metadata(project).encode())
        scripts = project.get("scripts", {})
        if scripts:
            entry = "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())
            add(f"{dist_info}/entry_points.txt", entry.encode())
        wheel = f"Wheel-Version: 1.0\nGenerator: wasmkiln_build\nRoot-Is-Purelib: false\n" \
                f"Tag: {tag}\n"
        add(f"{dist_info}/WHEEL", wheel.encode())
        records.append(f"{dist_info}/RECORD,,")
        whl.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    tag = _tag()
    name = f"{project['name']}-{project['version']}-{tag}.whl"
    with tempfile.TemporaryDirectory(prefix="wasmkiln-build-") as build_dir:
        pkg_dir = _cmake_build(build_dir)
        _write_wheel(os.path.join(wheel_directory, name), pkg_dir, project, tag)
    return name


def _sdist_filter(info):
    parts = info.name.split("/")
    if any(p.startswith(("build", ".git")) or p == "__pycache__" for p in parts[1:]):
        return None
    return info


def build_sdist(sdist_directory, config_settings=None):
    project = _project()
    base = f"{project['name']}-{project['version']}"
    path = os.path.join(sdist_directory, base + ".tar.gz")
    with tarfile.open(path, "w:gz") as tar:
        tar.add(ROOT, arcname=base, filter=_sdist_filter)
        pkg_info = _metadata(project).encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(pkg_info)
        tar.addfile(info, io.BytesIO(pkg_info))
    return base + ".tar.gz"
