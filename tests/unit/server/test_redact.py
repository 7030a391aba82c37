"""Credentials hidden in definition texts and trigger params, everything else kept."""

from __future__ import annotations

import json

import pytest
import yaml

from xene.server.redact import UNREADABLE, is_credential, masked, placeholders, redact_text

MANIFEST = """\
kind: Workflow   # a comment stays
apiVersion: v1alpha1
metadata: {name: ci}
spec:
  triggers:
    push: {type: webhook, secret: "s3cr3t-1", token: tok-2}
    nightly:
      type: webhook
      secret: |
        s3cr3t-3
        more
      secret_env: HOOK_SECRET
  pipelines:
    build:
      trigger: push
      envs: {GITHUB_TOKEN: ghp_4, Db-Password: pw5, MODE: fast}
      tasks:
        t: {steps: [{name: s, type: shell, cmd: "echo token"}]}
"""
VALUES = ("s3cr3t-1", "tok-2", "s3cr3t-3", "ghp_4", "pw5")


def test_every_credential_value_is_gone_from_the_text() -> None:
    shown = redact_text(MANIFEST)
    assert [value for value in VALUES if value in shown] == []


def test_the_redacted_text_keeps_its_lines_comments_and_other_values() -> None:
    shown = redact_text(MANIFEST)
    assert len(shown.splitlines()) == len(MANIFEST.splitlines())
    assert shown.splitlines()[0] == "kind: Workflow   # a comment stays"
    assert "secret_env: HOOK_SECRET" in shown
    assert 'cmd: "echo token"' in shown


def test_the_redacted_text_is_yaml_with_stars_in_place_of_credentials() -> None:
    data = yaml.safe_load(redact_text(MANIFEST))
    push = data["spec"]["triggers"]["push"]
    assert (push["secret"], push["token"], push["type"]) == ("***", "***", "webhook")
    assert data["spec"]["triggers"]["nightly"]["secret"] == "***"
    envs = data["spec"]["pipelines"]["build"]["envs"]
    assert envs == {"GITHUB_TOKEN": "***", "Db-Password": "***", "MODE": "fast"}


def test_json_stays_json() -> None:
    text = json.dumps(
        {"name": "f", "triggers": [{"id": "in", "type": "webhook", "params": {"token": "t1"}}]},
        indent=2,
    )
    shown = redact_text(text)
    assert json.loads(shown)["triggers"][0]["params"] == {"token": "***"}
    assert "t1" not in shown


def test_json_yaml_cannot_read_is_shown_rendered_again_with_credentials_hidden() -> None:
    text = json.dumps({"params": {"secret": "x", "n": 1}}, indent="\t")  # tabs: not YAML
    assert json.loads(redact_text(text)) == {"params": {"secret": "***", "n": 1}}


def test_a_secret_given_through_an_anchor_is_hidden_where_the_anchor_is() -> None:
    text = "common: &hook s3cr3t\ntriggers:\n  a: {type: webhook, secret: *hook}\n"
    shown = redact_text(text)
    assert "s3cr3t" not in shown
    assert yaml.safe_load(shown)["triggers"]["a"]["secret"] == "***"


def test_tags_and_anchors_before_a_value_stay() -> None:
    shown = redact_text("a: {token: &t !!str 12345}\nb: *t\n")
    assert shown == 'a: {token: &t !!str "***"}\nb: *t\n'


def test_a_list_under_a_credential_key_is_hidden_item_by_item() -> None:
    shown = redact_text("params: {secret: [old-1, new-2]}\n")
    assert yaml.safe_load(shown) == {"params": {"secret": ["***", "***"]}}


def test_references_to_stored_secrets_empty_and_null_values_stay() -> None:
    text = "a: {secret: '${secrets.HOOK}', token: , password: null}\n"
    assert redact_text(text) == text


@pytest.mark.parametrize(
    ("key", "credential"),
    [
        ("secret", True),
        ("Token", True),
        ("GITHUB_TOKEN", True),
        ("api-key", True),
        ("client_secret", True),
        ("secret_env", False),
        ("token_env", False),
        ("idempotency_key", False),
        ("tokens", False),
    ],
)
def test_which_keys_name_credentials(key: str, credential: bool) -> None:
    assert is_credential(key) is credential


def test_masked_params_hide_credentials_at_any_depth() -> None:
    params = {"secret": "x", "path": "/p", "auth": {"api_key": 5}, "token": None}
    assert masked(params) == {
        "secret": "***",
        "path": "/p",
        "auth": {"api_key": "***"},
        "token": None,
    }


def test_a_text_yaml_cannot_read_is_not_shown() -> None:
    assert redact_text("a: [unclosed\n") == UNREADABLE


def test_placeholders_locate_stars_applied_back() -> None:
    found = placeholders(redact_text(MANIFEST))
    assert [(f.line, f.path) for f in found] == [
        (6, "spec.triggers.push.secret"),
        (6, "spec.triggers.push.token"),
        (9, "spec.triggers.nightly.secret"),
        (16, "spec.pipelines.build.envs.GITHUB_TOKEN"),
        (16, "spec.pipelines.build.envs.Db-Password"),
    ]
    assert placeholders(MANIFEST) == []
