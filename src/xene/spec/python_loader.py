"""Python workflow files: imported, and what they define compiled to the IR."""

from __future__ import annotations

import contextlib
import importlib.util
import keyword
import sys
import zlib
from dataclasses import replace
from os import PathLike
from pathlib import Path
from types import ModuleType

from xene import errors, ir
from xene.spec.python_api import Pipeline, Workflow


def load_python_file(path: str | PathLike[str]) -> ir.Workflow:
    """Import a Python workflow file and compile what it defines.

    Takes the module-level `workflow` (a `xene.Workflow`) when there is one, otherwise every
    module-level `xene.Workflow` and `xene.Pipeline` together, named after the file. The
    file's directory is on `sys.path` while it is imported, so it may import its neighbours.
    """
    file = Path(path).resolve()
    if not file.is_file():
        raise _invalid(ir.Location(str(path)), "no such file")
    module = _import_file(file)
    main = vars(module).get("workflow")
    if not isinstance(main, Workflow):
        main = _gather(module, file)
    return replace(main.compile(), source=str(path))


def _import_file(file: Path) -> ModuleType:
    name = _module_name(file)
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise _invalid(ir.Location(str(file)), "cannot import this file: use a .py file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(file.parent))
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        where = ir.Location(exc.filename or str(file), exc.lineno or 0)
        raise _invalid(where, f"invalid Python: {exc.msg}") from exc
    except Exception as exc:  # the file's own code raised: show where, in its code
        sys.modules.pop(name, None)
        raise _import_failed(file, exc) from exc
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(file.parent))
    return module


def _module_name(file: Path) -> str:
    """The file's stem when that names no other module, else a private stable name."""
    stem = file.stem
    if stem.isidentifier() and not keyword.iskeyword(stem):
        loaded = sys.modules.get(stem)
        if loaded is not None and getattr(loaded, "__file__", None) == str(file):
            return stem
        found = None if loaded else importlib.util.find_spec(stem)
        if loaded is None and (found is None or found.origin == str(file)):
            return stem
    return f"xene_file_{zlib.crc32(str(file).encode()):08x}"


def _gather(module: ModuleType, file: Path) -> Workflow:
    """Every module-level workflow and pipeline, as one workflow named after the file."""
    found = [v for v in vars(module).values() if isinstance(v, Workflow | Pipeline)]
    workflows = [w for w in found if isinstance(w, Workflow)]
    if not found:
        hint = "define `workflow = xene.Workflow(name, [pipeline])` or a module-level Pipeline"
        raise _invalid(ir.Location(str(file)), f"no xene workflow or pipeline found: {hint}")
    in_workflows = [p for w in workflows for p in w.pipelines]
    loose = [p for p in found if isinstance(p, Pipeline) and p not in in_workflows]
    if len(workflows) == 1 and not loose:
        return workflows[0]
    merged = Workflow(workflows[0].name if len(workflows) == 1 else file.stem)
    merged.triggers = tuple(t for w in workflows for t in w.triggers)
    return merged.add(*in_workflows, *loose)


def _import_failed(file: Path, exc: Exception) -> errors.InvalidDefinition:
    """Located at the innermost frame of the user's code, with those frames (not Xene's,
    not importlib's) under the message."""
    from xene import tracebacks

    frames = tracebacks.user_frames(exc)
    inner = frames[-1] if frames else None
    where = ir.Location(inner.filename, inner.lineno or 0) if inner else ir.Location(str(file))
    message = f"importing the file failed: {type(exc).__name__}: {exc}"
    if frames:
        message = "\n".join([message, tracebacks.HEADER, *tracebacks.frame_lines(frames)])
    return _invalid(where, message)


def _invalid(loc: ir.Location, message: str) -> errors.InvalidDefinition:
    return errors.InvalidDefinition([errors.Problem(loc, message)])
