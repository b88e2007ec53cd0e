"""Does the package keep its shape: the public names people import still there, no import cycle
(type-only imports included), and the core free of widgets and the store?"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import REPO

PACKAGE = REPO / "arms_training"

# Names the notebooks, the README, the benchmarks and other people's scripts import.
PUBLIC = {
    "arms_training.scoring": ["score", "score_response", "ScoreReport", "ScoringError", "factor_credit"],
    "arms_training.calibration": [
        "tables",
        "CalibrationSettings",
        "Filters",
        "CalibrationTables",
        "load_frames",
    ],
    "arms_training.agreement": [
        "cohen_kappa",
        "fleiss_kappa",
        "krippendorff_alpha",
        "icc",
        "gwet_ac",
        "percent_agreement",
        "within_one",
        "bootstrap_ci",
        "AgreementError",
        "REGISTRY",
        "interpret",
    ],
    "arms_training.content": [
        "load_library",
        "load_vignette",
        "load_key",
        "Vignette",
        "AnswerKey",
        "content_root",
    ],
    "arms_training.framework": ["framework_by_id", "load_framework", "Framework", "INSUFFICIENT"],
    "arms_training.responses": [
        "Response",
        "Trainee",
        "PlanAction",
        "new_response",
        "load_response",
        "parse_response",
    ],
    "arms_training.stages": ["STAGES", "PARTS", "stage", "stages_for", "missing_for_submission"],
    "arms_training.errors": ["ArmsError", "ContentError", "Problem"],
    "arms_training.store": ["Store", "StoreError", "SessionError"],
    "arms_training.ui.exercise": ["ExerciseApp"],
    "arms_training.ui.session": ["SessionApp"],
    "arms_training.ui.calibration": ["CalibrationApp"],
}
# The core imports no widgets, no IPython and no store (ARCHITECTURE.md, data flow).
CORE = [
    "content",
    "framework",
    "responses",
    "stages",
    "errors",
    "locations",
    "scoring",
    "agreement",
    "calibration",
    "session",
    "exercise",
    "validation",
]
FORBIDDEN_IN_CORE = ("ipywidgets", "IPython", "arms_training.store", "arms_training.ui")


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_the_public_names_still_import(module: str) -> None:
    mod = importlib.import_module(module)
    missing = [n for n in PUBLIC[module] if not hasattr(mod, n)]
    assert not missing, f"{module} lost {missing}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported when ``path`` is imported, or named for type checking: module-level
    statements and ``if TYPE_CHECKING:`` blocks, not imports inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, *([base] if base else [])])
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    visit(tree.body)
    return {m for m in found if m.startswith("arms_training")}


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in _top_level_imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_there_is_no_import_cycle_not_even_a_type_only_one() -> None:
    # A package's __init__ re-exporting its own modules is not a cycle of concerns.
    graph = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in _graph().items()}
    cycle = _cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("concern", CORE)
def test_the_core_imports_no_widgets_and_no_store(concern: str) -> None:
    paths = (
        [PACKAGE / f"{concern}.py"]
        if (PACKAGE / f"{concern}.py").exists()
        else list((PACKAGE / concern).rglob("*.py"))
    )
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        bad = sorted(n for n in names if n.startswith(FORBIDDEN_IN_CORE))
        assert not bad, f"{path.relative_to(REPO)} imports {bad}"


def test_every_module_imports_on_its_own() -> None:
    """Each module imported first in a fresh interpreter: an order-dependent cycle would fail."""
    # Alembic's scripts (store/migrations) are run by Alembic on a connection, never imported.
    modules = sorted(
        m for m in _graph() if not m.startswith(("arms_training.ui", "arms_training.store.migrations"))
    )
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    for module in modules:
        done = subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True, cwd=REPO)
        assert done.returncode == 0, f"{module}: {done.stderr[-800:]}"
