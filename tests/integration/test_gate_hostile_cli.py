"""Hostile previews and waivers through the CLI's entry point: exit 2 with one clear line, nothing written outside.

In-process `main([...])`: what is under test is the exit code and the one stderr line, not the interpreter
start (tests/integration/test_gate_cli.py runs the real `python -m platformctl.cli` subprocess).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from platformctl.cli import main
from tests.builders import doc, step


@pytest.fixture
def gate(capsys: pytest.CaptureFixture[str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()  # only this run's output
        argv = ["gate", "--no-checkov", *args]
        code = main(argv)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(argv, code, out, err)

    return run


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _one_error_line(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr


@pytest.mark.parametrize("stack", ["../../escaped", "/tmp/abs-escape"])
def test_stack_names_that_are_paths_never_write_outside_the_reports_dir(gate, tmp_path: Path, stack: str) -> None:
    text = json.dumps(doc(step("create", "aws:s3/bucket:Bucket", "lake")))
    preview = _write(tmp_path / "p.json", text.replace("urn:pulumi:prod::", f"urn:pulumi:{stack}::"))
    reports = tmp_path / "a" / "b" / "reports"
    proc = gate(preview, "--reports-dir", str(reports))
    _one_error_line(proc, "not a Pulumi stack name")
    assert not (tmp_path / "a" / "escaped.json").exists() and not Path("/tmp/abs-escape.json").exists()
    assert not reports.exists() or not any(reports.iterdir())


def test_duplicate_json_keys_exit_2(gate, tmp_path: Path) -> None:
    text = json.dumps(doc(step("create", "aws:s3/bucket:Bucket", "lake", {"region": "me-central-1"})))
    preview = _write(
        tmp_path / "p.json",
        text.replace('"region": "me-central-1"}', '"region": "me-central-1", "region": "eu-west-1"}', 1),
    )
    _one_error_line(gate(preview), "duplicate JSON key 'region'")


def test_diagnostics_not_a_list_or_an_error_exit_2(gate, tmp_path: Path) -> None:
    _one_error_line(gate(_write(tmp_path / "a.json", json.dumps({**doc(), "diagnostics": {"severity": "error"}}))),
                    "'diagnostics' must be a list")  # fmt: skip
    failed = {**doc(), "diagnostics": [{"prefix": "error: ", "message": "update failed", "severity": "error"}]}
    _one_error_line(gate(_write(tmp_path / "b.json", json.dumps(failed))), "reported an error: update failed")


def test_stack_flag_that_contradicts_the_preview_exits_2(gate, tmp_path: Path) -> None:
    _one_error_line(
        gate(_write(tmp_path / "p.json", json.dumps(doc())), "--stack", "dev"), "does not match the preview"
    )


def test_wildcard_and_duplicate_key_waivers_exit_2(gate, tmp_path: Path) -> None:
    preview = _write(tmp_path / "p.json", json.dumps(doc()))
    body = ("waivers:\n  - rule: UAE-OPS-003\n    urn: '{urn}'\n    owner: a@example.ae\n"
            "    reason: An exception that is explained.\n    ticket: PLAT-1\n    expires: {expires}\n")  # fmt: skip
    wildcard = _write(tmp_path / "w1.yaml", body.format(urn="urn:pulumi:?*", expires="2099-01-01"))
    _one_error_line(gate(preview, "--waivers", wildcard), "URN pattern")
    twice = (
        body.format(urn="urn:pulumi:prod::uae-ml-platform::*::x", expires="2026-12-31") + "    expires: 2026-12-30\n"
    )
    _one_error_line(gate(preview, "--waivers", _write(tmp_path / "w2.yaml", twice)), "duplicate key 'expires'")
