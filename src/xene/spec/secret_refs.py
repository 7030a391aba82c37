"""Secrets named by a definition, and the check that each one exists.

Three places name a secret: a task's `secrets: [NAME, ...]` (environment variables of
its shell steps), `${secrets.NAME}` in a node's config, and a webhook trigger's
`secret: ${secrets.NAME}` or `token: ${secrets.NAME}` (a plain text there is the value
itself, as before). Loaders call the readers below; `check` is run where a store is at
hand (`xene validate`, `xene run`, `xene apply`), since only the store knows the names.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

from xene.core import selectors
from xene.errors import Problem
from xene.ir import Pipeline, SecretRef, Step, Workflow
from xene.spec.source import join
from xene.spec.validate import EXPRESSION_KEYS, Reader

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_NAME = 128
TRIGGER_KEYS = ("secret", "token")
_PARAM = re.compile(r"^\$\{\s*secrets\.([^\s}]*)\s*\}$")


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a secret, or None. A name becomes an environment variable."""
    if not NAME.match(name) or len(name) > MAX_NAME:
        return (
            f'"{name[:60]}" cannot name a secret: use up to {MAX_NAME} letters, digits and '
            '"_", not starting with a digit (it becomes an environment variable)'
        )
    if name.upper().startswith("XENE_"):
        return f'"{name}" cannot name a secret: names starting with XENE_ are Xene\'s own'
    return None


def task_secrets(
    reader: Reader, task: Mapping[str, Any], path: str, steps: tuple[Step, ...]
) -> list[SecretRef]:
    """A task's `secrets: [NAME, ...]`: for its shell steps, as environment variables."""
    if task.get("secrets") is None:
        return []
    where = join(path, "secrets")
    found: list[SecretRef] = []
    for index, item in enumerate(reader.sequence(task, "secrets", path)):
        ipath = f"{where}[{index}]"
        if not isinstance(item, str) or not item:
            reader.error(ipath, "expected a secret's name, such as DEPLOY_KEY")
        elif problem := name_problem(item):
            reader.error(ipath, problem)
        elif any(ref.name == item for ref in found):
            reader.error(ipath, f'secret "{item}" is listed twice; keep one')
        else:
            found.append(SecretRef(item, reader.loc(ipath)))
    python = next((step for step in steps if step.kind == "python"), None)
    if found and python is not None:
        reader.error(
            where,
            f'secrets reach a task\'s shell steps as environment variables; step "{python.name}" '
            "is type: python, which cannot be given them: make it a shell step",
        )
    return found


def shell_hint(reader: Reader, cmd: str, path: str) -> None:
    """`${secrets.X}` in a shell command would be the shell's syntax (an error there)."""
    for found in selectors.find(cmd):
        if found and found[0] == "secrets":
            name = found[1] if len(found) > 1 else "NAME"
            reader.error(
                join(path, "cmd"),
                f"a shell step reads a secret from its environment: add secrets: [{name}] "
                f'to the task and write ${name} (or "${name}") in the command',
            )
            return


def config_secrets(reader: Reader, config: Mapping[str, Any], path: str) -> list[SecretRef]:
    """Every `${secrets.NAME}` in a node's config (outside expressions)."""
    found: dict[str, SecretRef] = {}
    for where, selector in _selectors(config):
        if not selector or selector[0] != "secrets":
            continue
        spath = join(join(path, "config"), where)
        if len(selector) != 2:
            reader.error(spath, "name one secret: ${secrets.NAME}")
        elif problem := name_problem(selector[1]):
            reader.error(spath, problem)
        elif selector[1] not in found:
            found[selector[1]] = SecretRef(selector[1], reader.loc(spath))
    return list(found.values())


def _selectors(config: Mapping[str, Any]) -> Iterator[tuple[str, selectors.Path]]:
    for key, value in config.items():
        if key in EXPRESSION_KEYS:
            continue
        for where, selector in selectors.find_in(value):
            yield (f"{key}.{where}" if where else str(key)), selector


def trigger_secrets(reader: Reader, params: Mapping[str, Any], path: str) -> list[SecretRef]:
    """A trigger's `secret:`/`token:` written `${secrets.NAME}` (`path` leads to them)."""
    found: list[SecretRef] = []
    for key in TRIGGER_KEYS:
        value = params.get(key)
        name = param_secret(value)
        if name is None:
            if isinstance(value, str) and "${secrets" in value:
                reader.error(join(path, key), f"write {key}: ${{secrets.NAME}} alone")
            continue
        if problem := name_problem(name):
            reader.error(join(path, key), problem)
        else:
            found.append(SecretRef(name, reader.loc(join(path, key))))
    return found


def param_secret(value: Any) -> str | None:
    """`"${secrets.NAME}"` -> `NAME`; None for anything else (a plain value)."""
    if not isinstance(value, str):
        return None
    match = _PARAM.match(value.strip())
    return match.group(1) if match else None


def references(workflow: Workflow, pipelines: Iterable[Pipeline] | None = None) -> list[SecretRef]:
    """Every secret the workflow names: its nodes' and its triggers'; with `pipelines`,
    only what their nodes name (what a run of them needs)."""
    if pipelines is not None:
        return [ref for pipeline in pipelines for n in pipeline.nodes for ref in n.secrets]
    refs = references(workflow, workflow.pipelines)
    return refs + [ref for trigger in workflow.triggers for ref in trigger.secrets]


def check(refs: Iterable[SecretRef], known: Collection[str], where: str) -> list[Problem]:
    """A located problem for each reference to a name `known` lacks; `where` says which
    store was asked (`the store sqlite:///...`, `the server at URL`)."""
    return [
        Problem(ref.loc, unknown(ref.name, known, where)) for ref in refs if ref.name not in known
    ]


def unknown(name: str, known: Collection[str], where: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return f'unknown secret "{name}" in {where}{hint}: set it with `xene secret set {name}`'
