"""The request log of `xene serve` shows no webhook `?token=`."""

from __future__ import annotations

import logging

from xene.cli.serve import HideQueryTokens


def access_line(path: str) -> logging.LogRecord:
    """A record as uvicorn's access logger makes it."""
    args = ("127.0.0.1:5000", "POST", path, "1.1", 202)
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d', args, None
    )


def test_a_token_in_the_query_is_hidden_and_the_rest_kept() -> None:
    record = access_line("/api/v1/hooks/ci/push?a=1&token=s3cr3t&b=2")
    assert HideQueryTokens().filter(record) is True
    assert record.getMessage() == (
        '127.0.0.1:5000 - "POST /api/v1/hooks/ci/push?a=1&token=***&b=2 HTTP/1.1" 202'
    )


def test_other_lines_are_left_alone() -> None:
    record = access_line("/api/v1/runs?mytoken=x")
    HideQueryTokens().filter(record)
    assert "mytoken=x" in record.getMessage()
