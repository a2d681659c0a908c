"""The layers of docs/architecture.md, read from the code's own imports.

Every module of the project is imported, and its source read with `ast` (imports inside functions
included): an import against the one-way direction fails the suite, naming the module and the import.

    bankops (settings, urls, Celery app)   may import anything but demo; nothing imports it
    demo (the demo generator)              may import any app and lib; nothing imports it
    apps: branches < staff < kpi < {customers, alerts, plans, meetings}
                                           an app imports lib and the apps below it, never one beside
                                           or above it (a downstream app listens to a signal instead)
    lib (domain-free helpers)              imports no project package
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
PROJECT = (
    "bankops",
    "lib",
    "branches",
    "staff",
    "kpi",
    "customers",
    "alerts",
    "plans",
    "notify",
    "meetings",
    "pay",
    "ledger",
    "campaigns",
    "checklists",
    "outreach",
    "complaints",
    "demo",
)
# The apps in their one-way order: an app may import the apps of a lower rank, none of its own or above.
APP_RANK = {
    "branches": 0,
    "staff": 1,
    "kpi": 2,
    "customers": 3,
    "alerts": 3,
    "plans": 3,
    "notify": 3,
    "meetings": 3,
    "pay": 3,
    "ledger": 3,
    "campaigns": 4,
    "checklists": 4,
    "outreach": 4,
    "complaints": 4,
}

# Imports against the layers that are still on this branch, as (importing module, imported module).
# Each is being removed by another change of issue 12; the lead empties this set as they are merged.
# test_every_known_violation_is_still_one fails once an entry is gone, so it cannot go stale.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module (a project module's full name where `from x import y` names one)
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.module} imports {self.target}"


def project_modules() -> dict[str, Path]:
    """Every module of the project packages by dotted name (migrations left out)."""
    modules = {}
    for package in PROJECT:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def imports_of(module: str, source: str, *, is_package: bool, known: set[str], path: str = "") -> list[Import]:
    """The imports written anywhere in `source` (at the top, in functions, in branches)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, path, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                named = f"{base}.{alias.name}"
                found.append(Import(module, named if named in known else base, path, node.lineno))
    return found


def why_forbidden(module: str, target: str) -> str | None:
    """Why `module` may not import `target`, or None when the layers allow it."""
    source, imported = module.split(".")[0], target.split(".")[0]
    if imported not in PROJECT or imported == source:
        return None
    if source == "lib":
        return "lib imports no project package"
    if imported == "demo":
        return "nothing imports demo"
    if imported == "bankops":
        return "nothing imports the project package bankops"
    if source in ("bankops", "demo") or imported == "lib" or APP_RANK[imported] < APP_RANK[source]:
        return None
    below = [app for app, rank in APP_RANK.items() if rank < APP_RANK[source]]
    return f"{source} may import only {', '.join(['lib', *below])}"


def all_imports() -> list[Import]:
    modules = project_modules()
    found = []
    for module, path in modules.items():
        found += imports_of(
            module,
            path.read_text(encoding="utf-8"),
            is_package=path.name == "__init__.py",
            known=set(modules),
            path=str(path.relative_to(ROOT)),
        )
    return found


def violations() -> dict[tuple[str, str], list[Import]]:
    found: dict[tuple[str, str], list[Import]] = {}
    for each in all_imports():
        if why_forbidden(each.module, each.target):
            found.setdefault((each.module, each.target), []).append(each)
    return found


# -- the project --------------------------------------------------------------------------------------


def test_every_module_of_the_project_imports():
    failures = []
    for module in project_modules():
        try:
            importlib.import_module(module)
        except Exception as exc:
            failures.append(f"{module}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


def test_no_module_imports_against_the_layers():
    wrong = [
        f"{each} ({why_forbidden(each.module, each.target)})"
        for key, found in sorted(violations().items())
        if key not in KNOWN_VIOLATIONS
        for each in found
    ]
    assert not wrong, "imports against the layers of docs/architecture.md:\n" + "\n".join(wrong)


def test_every_known_violation_is_still_one():
    found = violations()
    gone = sorted(key for key in KNOWN_VIOLATIONS if key not in found)
    assert not gone, f"no longer imported against the layers, remove from KNOWN_VIOLATIONS: {gone}"


def test_every_app_of_the_project_has_its_place_in_the_layers():
    local_apps = {app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()}
    assert local_apps <= set(PROJECT), f"declare the place of {sorted(local_apps - set(PROJECT))} in PROJECT"
    assert set(PROJECT) - {"bankops", "lib", "demo"} == set(APP_RANK)


def test_the_celery_app_is_imported_by_no_app():
    # Tasks are declared with celery.shared_task, which binds to the project's app when it loads.
    outside = [
        each
        for each in all_imports()
        if each.target in ("bankops", "bankops.celery") and not each.module.startswith("bankops")
    ]
    assert not outside, "\n".join(map(str, outside))


# -- the rules ------------------------------------------------------------------------------------------


def test_an_app_may_import_lib_and_the_apps_below_it():
    assert why_forbidden("kpi.services.rollup", "branches.models") is None
    assert why_forbidden("kpi.services.rollup", "staff.models") is None
    assert why_forbidden("alerts.services.evaluation", "kpi.models") is None
    assert why_forbidden("customers.services.tiering", "lib.periods") is None
    assert why_forbidden("kpi.services.rollup", "kpi.models") is None
    assert why_forbidden("kpi.services.rollup", "pandas") is None


def test_an_app_may_not_import_an_app_above_or_beside_it():
    assert why_forbidden("kpi.services.rollup", "alerts.tasks") == "kpi may import only lib, branches, staff"
    assert why_forbidden("branches.api", "staff.api_scope") == "branches may import only lib"
    assert why_forbidden("customers.views", "alerts.models") == "customers may import only lib, branches, staff, kpi"
    assert why_forbidden("alerts.views", "customers.models") is not None
    # Meetings link to alerts and plans through lib.links and hear of closed alerts by its signal.
    assert why_forbidden("meetings.services", "alerts.models") == "meetings may import only lib, branches, staff, kpi"
    assert why_forbidden("alerts.services.follow_up", "meetings.models") is not None
    assert why_forbidden("meetings.selectors", "lib.links") is None


def test_lib_imports_no_project_package():
    assert why_forbidden("lib.periods", "branches.models") == "lib imports no project package"
    assert why_forbidden("lib.periods", "bankops.settings") == "lib imports no project package"
    assert why_forbidden("lib.exports", "lib.periods") is None


def test_nothing_imports_demo_or_bankops_but_they_import_the_apps():
    assert why_forbidden("kpi.admin", "bankops.admin") == "nothing imports the project package bankops"
    assert why_forbidden("alerts.tasks", "bankops.celery") == "nothing imports the project package bankops"
    assert why_forbidden("bankops.urls", "demo.network") == "nothing imports demo"
    assert why_forbidden("demo.facts", "bankops.settings") == "nothing imports the project package bankops"
    assert why_forbidden("bankops.api", "alerts.api") is None
    assert why_forbidden("demo.facts", "kpi.services.rollup") is None


def test_imports_inside_functions_and_relative_imports_are_read_too():
    source = (
        "from kpi import models\n"
        "from . import selectors\n"
        "from .services import scoring\n"
        "def later():\n"
        "    import alerts.tasks\n"
        "    from alerts.tasks import evaluate_day\n"
    )
    known = {"kpi.models", "kpi.selectors", "kpi.services.scoring", "alerts.tasks"}

    found = imports_of("kpi.views", source, is_package=False, known=known, path="kpi/views.py")

    assert [(each.target, each.line) for each in found] == [
        ("kpi.models", 1),
        ("kpi.selectors", 2),
        ("kpi.services.scoring", 3),
        ("alerts.tasks", 5),
        ("alerts.tasks", 6),
    ]
    assert str(found[-1]) == "kpi/views.py:6: kpi.views imports alerts.tasks"
