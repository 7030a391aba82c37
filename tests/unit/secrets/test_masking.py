"""`***` in place of every secret value: in text, in nested outputs, in log lines and
record errors before any listener sees them."""

from __future__ import annotations

from tests.conftest import Recorder
from xene.core.records import NodeRecord, RunRecord, StepRecord
from xene.nodes.base import NodeResult
from xene.secrets.masking import NO_MASK, Masker, MaskingListener

PEM = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n}\n-----END KEY-----"


def test_every_occurrence_of_every_value_is_masked() -> None:
    masker = Masker(["hunter2", "s3cret"])
    assert masker.text("pw=hunter2 again hunter2, token s3cret") == "pw=*** again ***, token ***"


def test_the_longest_value_wins_where_values_overlap() -> None:
    assert Masker(["abc", "abcdef"]).text("x abcdef y") == "x *** y"


def test_values_with_regex_characters_are_matched_literally() -> None:
    assert Masker(["a.b*c"]).text("a.b*c aXbbc") == "*** aXbbc"


def test_each_long_line_of_a_multi_line_value_is_masked_on_its_own() -> None:
    masker = Masker([PEM])
    assert masker.text("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC") == "***"
    assert masker.text("-----END KEY-----") == "***"
    assert masker.text("a } stays") == "a } stays"  # too short to mask on its own


def test_the_json_escaped_form_of_a_value_is_masked() -> None:
    masker = Masker(['pa"ss\\word'])
    assert masker.text('{"pw": "pa\\"ss\\\\word"}') == '{"pw": "***"}'


def test_nested_values_are_masked_in_a_copy() -> None:
    output = {"token": "s3cret", "list": ["x s3cret", 3], "s3cret": True}
    assert Masker(["s3cret"]).value(output) == {"token": "***", "list": ["x ***", 3], "***": True}
    assert output["token"] == "s3cret"


def test_a_node_result_keeps_its_ports_and_masks_its_output() -> None:
    result = NodeResult(output={"a": "s3cret"}, ports=("true",))
    assert Masker(["s3cret"]).result(result) == NodeResult({"a": "***"}, ("true",))


def test_no_values_mask_nothing() -> None:
    assert not NO_MASK
    assert NO_MASK.text("anything") == "anything"
    assert not Masker([""])


def test_the_listener_masks_log_lines_before_passing_them_on(recorder: Recorder) -> None:
    run, node = RunRecord("r", "w", "p"), NodeRecord("t", "t", "xene::task")
    MaskingListener(recorder, Masker(["s3cret"])).log(run, node, "s", "token=s3cret")
    assert recorder.lines == [("t", "s", "token=***")]


def test_the_listener_masks_errors_of_runs_nodes_and_steps_in_place(recorder: Recorder) -> None:
    run = RunRecord("r", "w", "p", error="t: bad s3cret")
    node = NodeRecord("t", "t", "xene::task", error="bad s3cret")
    step = StepRecord("s", error="s3cret!")
    listener = MaskingListener(recorder, Masker(["s3cret"]))
    listener.run_changed(run)
    listener.node_changed(run, node)
    listener.step_changed(run, node, step)
    assert (run.error, node.error, step.error) == ("t: bad ***", "bad ***", "***!")
