"""Triggers: types not built yet are refused, and so is every key a trigger does not read."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from xene import ir

from .conftest import Errors

Load = Callable[..., ir.Workflow]


def flow(trigger: str) -> str:
    """A flow whose only trigger is `trigger` (one flow-style mapping, on line 2)."""
    return f"""
    name: f
    triggers: [{trigger}]
    nodes:
      a: {{type: std::log, config: {{message: a}}}}
    """


def manifest(trigger: str) -> str:
    """A manifest whose trigger `t` (line 6) is `trigger`, used by its one pipeline."""
    return f"""
    kind: Workflow
    apiVersion: v1alpha1
    metadata: {{name: ci}}
    spec:
      triggers:
        t: {trigger}
      pipelines:
        build:
          trigger: t
          tasks:
            a: {{steps: [{{name: s, cmd: "true"}}]}}
    """


# -- types that are not built yet --------------------------------------------------------
@pytest.mark.parametrize("kind", ["queue", "kafka", "memory"])
def test_a_flow_trigger_type_not_built_yet_is_refused(errors: Errors, kind: str) -> None:
    assert errors(flow(f"{{id: t, type: {kind}}}")) == [
        f'wf.yaml:2: triggers[0].type: trigger type "{kind}" is not supported yet; '
        "supported: webhook, cron, filesystem, manual"
    ]


def test_a_manifest_queue_trigger_is_refused(errors: Errors) -> None:
    assert errors(manifest("{type: queue}")) == [
        'wf.yaml:6: spec.triggers.t.type: trigger type "queue" is not supported yet; '
        "supported: default, webhook, cron, manual, filesystem"
    ]


def test_a_queue_trigger_no_pipeline_uses_is_refused_too(errors: Errors) -> None:
    queue = "        q: {type: queue}\n"
    text = manifest("{type: manual}").replace("      pipelines:", f"{queue}      pipelines:")
    assert errors(text) == [
        'wf.yaml:7: spec.triggers.q.type: trigger type "queue" is not supported yet; '
        "supported: default, webhook, cron, manual, filesystem"
    ]


# -- flow params ---------------------------------------------------------------------------
def test_a_typo_in_flow_webhook_params_is_refused_with_the_closest_key(errors: Errors) -> None:
    assert errors(flow("{id: hook, type: webhook, params: {secert: s}}")) == [
        'wf.yaml:2: triggers[0].params.secert: unknown key "secert" in params of webhook '
        'trigger "hook"; did you mean "secret"? (known keys: host, method, path, port, secret, '
        "secret_env, signature, token, token_env)"
    ]


def test_a_key_of_another_trigger_type_says_where_it_belongs(errors: Errors) -> None:
    text = flow("{id: tick, type: cron, params: {schedule: '0 * * * *', secret: s}}")
    assert errors(text) == [
        'wf.yaml:2: triggers[0].params.secret: unknown key "secret" in params of cron trigger '
        '"tick": "secret" belongs to webhook triggers, not cron ones (known keys: catchup, '
        "cron, expression, schedule, timezone)"
    ]


def test_a_flow_param_written_beside_type_is_told_to_go_under_params(errors: Errors) -> None:
    assert errors(flow("{id: hook, type: webhook, secret: s}")) == [
        'wf.yaml:2: triggers[0].secret: unknown key "secret" in trigger "hook": it belongs '
        "under params (params: {secret: ...})"
    ]


def test_a_manual_trigger_takes_no_params(errors: Errors) -> None:
    assert errors(flow("{id: go, type: manual, params: {path: /x}}")) == [
        'wf.yaml:2: triggers[0].params.path: unknown key "path" in params of manual trigger '
        '"go": a manual trigger has no settings'
    ]


def test_every_documented_flow_param_loads(load: Load) -> None:
    text = flow(
        "{id: hook, type: webhook, params: {path: /a, secret: s, secret_env: S, token: t, "
        "token_env: T, method: POST, host: 0.0.0.0, port: 8080}}"
    )
    assert load(text).triggers[0].params["secret"] == "s"


# -- manifest keys -------------------------------------------------------------------------
def test_params_under_a_manifest_trigger_is_refused_naming_its_keys(errors: Errors) -> None:
    assert errors(manifest("{type: webhook, params: {secret: s}}")) == [
        'wf.yaml:6: spec.triggers.t.params: a manifest trigger has no "params": write secret '
        "at the trigger's top level, beside type ({type: webhook, secret: ...})"
    ]


def test_a_typo_in_a_manifest_trigger_key_is_refused(errors: Errors) -> None:
    assert errors(manifest("{type: webhook, tokn: t}")) == [
        'wf.yaml:6: spec.triggers.t.tokn: unknown key "tokn" in webhook trigger "t"; did you '
        'mean "token"? (known keys: host, method, path, port, secret, secret_env, signature, '
        "token, token_env)"
    ]


def test_a_manifest_cron_trigger_takes_its_schedule_zone_and_catchup(load: Load) -> None:
    text = manifest("{type: cron, cronConfig: '@daily', timezone: UTC, catchup: true}")
    assert load(text).triggers[0].params["catchup"] is True


def test_a_manifest_filesystem_trigger_refuses_a_webhook_key(errors: Errors) -> None:
    assert errors(manifest("{type: filesystem, path: /in, token: t}")) == [
        'wf.yaml:6: spec.triggers.t.token: unknown key "token" in filesystem trigger "t": '
        '"token" belongs to webhook triggers, not filesystem ones (known keys: events, path, '
        "pattern, recursive)"
    ]
