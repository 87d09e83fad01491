"""The few git facts promotion needs, read with the git CLI (no library, no network)."""

from __future__ import annotations

import getpass
import io
import os
import subprocess
import tarfile
from pathlib import Path

from platformctl.errors import PlatformError

GIT_TIMEOUT_S = 60


class GitError(PlatformError):
    """Not a git work tree, git is missing, or a git command failed."""


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    try:
        result = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, timeout=GIT_TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed (promotion reads commits from git)") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"`git {' '.join(args)}` timed out after {GIT_TIMEOUT_S}s") from None
    if check and result.returncode != 0:
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"`git {' '.join(args)}` failed: {reason[-1] if reason else 'exit ' + str(result.returncode)}")
    return result


def _text(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stdout.decode("utf-8", "replace").strip()


def toplevel(path: Path) -> Path:
    result = git(path, "rev-parse", "--show-toplevel", check=False)
    if result.returncode != 0:
        raise GitError(f"{path} is not inside a git work tree (promotion records commits)")
    return Path(_text(result))


def head_commit(repo: Path) -> str:
    return _text(git(repo, "rev-parse", "--verify", "HEAD^{commit}"))


def resolve_commit(repo: Path, rev: str) -> str | None:
    """The full commit id of `rev`, or None when this repository does not have it."""
    result = git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    return _text(result) if result.returncode == 0 else None


def dirty_paths(repo: Path) -> list[str]:
    """Modified, staged and untracked (not ignored) paths: anything a commit would not describe."""
    out = _text(git(repo, "status", "--porcelain=v1", "--untracked-files=all"))
    return [line[3:] for line in out.splitlines() if line.strip()]


def is_ancestor(repo: Path, commit: str, of: str = "HEAD") -> bool:
    result = git(repo, "merge-base", "--is-ancestor", commit, of, check=False)
    if result.returncode not in (0, 1):
        raise GitError(f"cannot tell whether {commit[:12]} is an ancestor of {of}")
    return result.returncode == 0


def has_path(repo: Path, commit: str, path: str) -> bool:
    return git(repo, "cat-file", "-e", f"{commit}:{path}", check=False).returncode == 0


def export_tree(repo: Path, commit: str, paths: list[str], dest: Path) -> None:
    """Write `paths` as they are at `commit` under `dest` (read-only: no checkout, no worktree)."""
    archive = git(repo, "archive", "--format=tar", commit, "--", *paths).stdout
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")


def who(repo: Path) -> str:
    """Who acts: the CI actor when CI runs it, else git's configured identity, else the OS user."""
    actor = os.environ.get("GITHUB_ACTOR")
    if actor:
        return f"github:{actor}"
    name = _text(git(repo, "config", "user.name", check=False))
    email = _text(git(repo, "config", "user.email", check=False))
    if name or email:
        return f"{name} <{email}>".strip()
    return f"user:{getpass.getuser()}"
