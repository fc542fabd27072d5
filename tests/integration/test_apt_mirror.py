"""scripts/apt-mirror.sh: the base image uses the Debian mirror this host's apt uses."""

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.processes import ROOT

pytestmark = pytest.mark.integration

SCRIPT = ROOT / "scripts" / "apt-mirror.sh"

ONE_LINE = """\
# deb http://commented.example/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://mirror.example/debian/ bookworm main
deb http://mirror.example/debian bookworm-updates main
deb http://security.example/debian-security bookworm-security main
"""
DEB822 = """\
Types: deb
URIs: https://repo.example/node_20.x
Suites: nodistro
Components: main

Types: deb deb-src
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
"""
THIRD_PARTY_ONLY = "deb https://packages.example/apt cloud-sdk-bookworm main\n"


def _mirror(kind: str, text: str, tmp_path: Path, codename: str = "bookworm"):
    sources = tmp_path / "sources"
    sources.write_text(text)
    return subprocess.run(
        [str(SCRIPT), kind, str(sources)],
        env={**os.environ, "HOST_CODENAME": codename},
        capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("text", [ONE_LINE, DEB822], ids=["one_line", "deb822"])
@pytest.mark.parametrize(
    ("kind", "uri"),
    [("archive", "http://mirror.example/debian"),
     ("security", "http://security.example/debian-security")],
)  # fmt: skip
def test_the_mirror_is_the_one_apt_uses_for_the_host_release(text, kind, uri, tmp_path):
    done = _mirror(kind, text, tmp_path)

    assert (done.returncode, done.stdout) == (0, uri + "\n"), done.stderr


@pytest.mark.parametrize(
    ("text", "codename"),
    [(THIRD_PARTY_ONLY, "bookworm"), (ONE_LINE, "trixie"), ("", "bookworm")],
    ids=["only_third_party", "another_release", "no_sources"],
)
def test_no_entry_for_the_host_release_prints_nothing_and_fails(text, codename, tmp_path):
    done = _mirror("archive", text, tmp_path, codename)

    assert (done.returncode, done.stdout) == (1, "")


def test_an_unknown_kind_is_a_usage_error(tmp_path):
    assert _mirror("updates", ONE_LINE, tmp_path).returncode == 2
