"""`ml/` is a pure library: importing every module of it never imports Django."""

import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import importlib, pkgutil, sys
import ml
for info in pkgutil.walk_packages(ml.__path__, "ml."):
    importlib.import_module(info.name)
leaked = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
print(len(list(pkgutil.walk_packages(ml.__path__, "ml."))))
sys.exit(1 if leaked else 0)
"""


def test_importing_all_of_ml_never_imports_django():
    # when
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    # then
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.strip().splitlines()[-1]) > 1


def test_no_ml_source_file_mentions_a_django_import():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "ml").rglob("*.py")
        if "import django" in path.read_text() or "from django" in path.read_text()
    ]
    assert offenders == []


def test_walk_finds_the_package():
    import ml

    assert list(pkgutil.iter_modules(ml.__path__))
