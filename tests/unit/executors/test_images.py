from __future__ import annotations

import re

import pytest

from xene.executors.images import normalize_image

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("golang", "docker.io/library/golang:latest"),
        ("golang:1.22", "docker.io/library/golang:1.22"),
        ("  node:20  ", "docker.io/library/node:20"),
        ("library/golang", "docker.io/library/golang:latest"),
        ("docker.io/golang", "docker.io/library/golang:latest"),
        ("index.docker.io/library/golang:1", "docker.io/library/golang:1"),
        ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
        ("ghcr.io/x/y:1", "ghcr.io/x/y:1"),
        ("ghcr.io/x/y", "ghcr.io/x/y:latest"),
        ("localhost:5000/a", "localhost:5000/a:latest"),
        ("localhost/a:b", "localhost/a:b"),
        ("registry.example.com:443/team/app_v2.x__y-z:2024.01-rc_1", None),
        ("[::1]:5000/a:1", "[::1]:5000/a:1"),
        ("xene-test-busybox:latest", "docker.io/library/xene-test-busybox:latest"),
        (f"golang@{DIGEST}", f"docker.io/library/golang@{DIGEST}"),
        (f"golang:1.22@{DIGEST}", f"docker.io/library/golang:1.22@{DIGEST}"),
        (f"localhost:5000/a@{DIGEST}", f"localhost:5000/a@{DIGEST}"),
    ],
)
def test_an_image_is_named_as_docker_names_it(written: str, normalised: str | None) -> None:
    assert normalize_image(written) == (normalised or written)


def test_a_normalised_name_normalises_to_itself() -> None:
    for written in ("golang", "ghcr.io/x/y", f"node@{DIGEST}", "localhost:5000/a:1"):
        once = normalize_image(written)
        assert normalize_image(once) == once


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("", "an image is needed, such as"),
        ("   ", "an image is needed"),
        ("Golang", 'repository names are lower case; write "golang" for "Golang"'),
        ("ghcr.io/Org/app", 'write "org" for "Org"'),
        ("golang:", 'invalid tag ""'),
        ("golang:-1", 'invalid tag "-1"'),
        ("golang:" + "x" * 129, "invalid tag"),
        ("golang@sha256:abc", 'invalid digest "sha256:abc"'),
        ("golang@", 'invalid digest ""'),
        ("a//b", "each part of its name is lower-case"),
        ("ghcr.io/", "each part of its name"),
        ("go lang", "each part of its name"),
        ("_golang", "each part of its name"),
        ("golang-", "each part of its name"),
        ("-bad.host:5000/a", 'invalid registry "-bad.host:5000"'),
        ("a" * 64, "is an image id, not a name"),
        ("x/" + "a" * 260, "at most 255 characters"),
    ],
)
def test_an_invalid_reference_says_what_is_wrong(written: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        normalize_image(written)
