"""The house's floors are checked by import-linter (`.importlinter`, run by `make test` and CI)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("crm", "imports", "customers", "confidentiality", "service", "orders", "dealers", "reports", "api")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy(tmp_path) -> Path:
    copy = tmp_path / "project"
    copy.mkdir()
    for name in PACKAGES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "tests", "migrations"))
    shutil.copy(ROOT / ".importlinter", copy / ".importlinter")
    return copy


def _lint(copy: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(copy / ".importlinter"), "--no-cache"],
        cwd=copy, env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    if not LINT_IMPORTS.exists():
        pytest.skip("import-linter is not installed")
    return _copy(tmp_path_factory.mktemp("layers"))


def test_the_project_keeps_its_floors(project):
    result = _lint(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_core_importing_a_domain_app_breaks_the_build(project, tmp_path):
    copy = _copy(tmp_path)
    with open(copy / "crm" / "workdays.py", "a") as module:
        module.write("\nimport customers  # noqa\n")
    result = _lint(copy)
    assert result.returncode != 0
    assert "crm (the core) imports no domain app BROKEN" in result.stdout
    assert "crm.workdays -> customers" in result.stdout
