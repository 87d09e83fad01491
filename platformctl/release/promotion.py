"""Record verdicts, promote bundles, read history: the operations behind the CLI.

Every refusal raises before anything is written: a refused promotion leaves the bundle files and
the ledger exactly as they were. Checks run cheapest first (stack names, clean tree, ledger,
soak, ancestry) and the gate last.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformctl.errors import EXIT_DENY, PlatformError, StackError, SynthesisError
from platformctl.release import gitrepo
from platformctl.release.bundle import (
    STACKS_DIR_ENV,
    BundleError,
    ReleaseBundle,
    bundle_path,
    canonical_json,
    diff_bundles,
    load_bundle,
    sha256_digest,
)
from platformctl.release.ledger import allow_verdict, append_record, read_ledger

LEDGER_DIR = Path("releases") / "provenance"
# How long a bundle must have run, verified, in the stage before the target (hours).
DEFAULT_SOAK_HOURS = {"staging": 1.0, "prod": 24.0}
FALLBACK_SOAK_HOURS = 1.0
SYNTH_TIMEOUT_S = 900


class PromotionRefusedError(PlatformError):
    """A promotion rule refused the change (no verdict, soak time, ancestry, gate deny)."""

    exit_code = EXIT_DENY


@dataclass(frozen=True)
class Workspace:
    """The checkout promotion reads and writes: its stacks/, its ledger, its git history."""

    repo: Path
    stacks_dir: Path
    ledger_dir: Path

    @classmethod
    def at(cls, repo: str | Path | None = None, ledger_dir: str | Path | None = None) -> Workspace:
        root = gitrepo.toplevel(Path(repo) if repo else Path.cwd())
        ledger = Path(ledger_dir).resolve() if ledger_dir else root / LEDGER_DIR
        return cls(repo=root, stacks_dir=root / "stacks", ledger_dir=ledger)

    def require_stack(self, stack: str) -> None:
        if not (self.stacks_dir / f"Pulumi.{stack}.yaml").is_file():
            known = ", ".join(sorted(p.name[7:-5] for p in self.stacks_dir.glob("Pulumi.*.yaml"))) or "none"
            raise StackError(f"unknown stack {stack!r} (known stacks: {known})")

    def require_clean(self) -> None:
        dirty = gitrepo.dirty_paths(self.repo)
        if dirty:
            shown = ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
            raise PlatformError(
                f"the work tree is dirty ({shown}): commit or stash first, so the record names a commit"
            )


@dataclass
class GateEvidence:
    verdict: str
    preview_digest: str
    preview_source: str
    report_digest: str
    summary: dict[str, Any]
    checkov: bool
    reports: dict[str, str] = field(default_factory=dict)  # format -> rendered report

    def as_record(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "report_digest": self.report_digest,
            "checkov": self.checkov,
            "findings": self.summary.get("findings"),
            "blocking": self.summary.get("blocking"),
            "waived": self.summary.get("waived"),
            "resources": self.summary.get("resources"),
        }


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)


def policy_set_digest(root: Path | None = None) -> str:
    """sha256 over every file of the policy tree (path and content), so any policy edit changes it."""
    from platformctl.gate.engines.rego import POLICY_ROOT

    root = root or POLICY_ROOT.parent  # policies/: Rego, Checkov curation and checks, CrossGuard
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if "__pycache__" in rel.split("/") or rel.endswith(".pyc"):
            continue
        digest.update(rel.encode() + b"\0" + hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\n")
    return "sha256:" + digest.hexdigest()


# What the program reads outside infra/ at run time: the shared facts (region, zones, GPU families)
# and the schema its stack config is validated against.
PROGRAM_SUPPORT_PATHS = (
    "policies/__init__.py",
    "policies/facts.py",
    "policies/rego/data",
    "schemas/stack-config.schema.json",
)


def synthesize_at_commit(ws: Workspace, stack: str, bundle: ReleaseBundle, out: Path) -> None:
    """Synthesize `stack` with the program as it is at the bundle's infra commit.

    The program comes from that commit (exported read-only), the stack config from this checkout
    (environment settings are not promoted) and the candidate bundle is what the program reads
    its pins from. It runs in a child process so that the infra package of the commit is the one
    imported, whatever version this process has loaded.
    """
    if not gitrepo.has_path(ws.repo, bundle.infra_commit, "infra"):
        raise SynthesisError(f"infra commit {bundle.infra_commit[:12]} has no infra/ program to synthesize")
    with tempfile.TemporaryDirectory(prefix="platformctl-synth-") as tmp:
        source, stacks = Path(tmp) / "source", Path(tmp) / "stacks"
        # The program and what it reads beside it (the facts, the stack-config schema) come from the
        # same commit, when that commit has them (an older program reads none of them).
        paths = ["infra"] + [p for p in PROGRAM_SUPPORT_PATHS if gitrepo.has_path(ws.repo, bundle.infra_commit, p)]
        gitrepo.export_tree(ws.repo, bundle.infra_commit, paths, source)
        stacks.mkdir()
        shutil.copy2(ws.stacks_dir / f"Pulumi.{stack}.yaml", stacks / f"Pulumi.{stack}.yaml")
        (stacks / f"release.{stack}.yaml").write_text(bundle.for_stack(stack).render(), encoding="utf-8")
        env = {**os.environ, STACKS_DIR_ENV: str(stacks)}
        command = [sys.executable, "-m", "platformctl.release.synth_at", str(source), stack, str(stacks), str(out)]
        try:
            result = subprocess.run(
                command, cwd=tmp, env=env, capture_output=True, text=True, timeout=SYNTH_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            raise SynthesisError(f"synthesizing {stack} took longer than {SYNTH_TIMEOUT_S}s") from None
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            raise SynthesisError(
                f"synthesizing {stack} at {bundle.infra_commit[:12]} failed: {lines[-1] if lines else 'no output'}"
            )


def gate_stack(
    ws: Workspace,
    stack: str,
    bundle: ReleaseBundle,
    *,
    preview: str | None,
    checkov: bool,
    waivers: str | None,
) -> GateEvidence:
    """Gate the stack's preview with the policies of this checkout, as they stand now."""
    from platformctl.gate.input.preview import load_preview_file, normalize
    from platformctl.gate.report import RENDERERS
    from platformctl.gate.runner import GateOptions, run_gate

    if waivers is None and (ws.repo / "policies" / "waivers.yaml").is_file():
        waivers = str(ws.repo / "policies" / "waivers.yaml")
    with tempfile.TemporaryDirectory(prefix="platformctl-gate-") as tmp:
        if preview:
            path, source = preview, f"preview {preview}"
        else:
            path = str(Path(tmp) / f"{stack}.json")
            synthesize_at_commit(ws, stack, bundle, Path(path))
            source = f"offline synthesis at {bundle.infra_commit}"
        document = load_preview_file(path)
        previewed = normalize(document, source=path)["stack"].rsplit("/", 1)[-1]
        if previewed != stack:
            raise PlatformError(f"{path} is a preview of stack {previewed!r}, not {stack!r}")
        result = run_gate([path], GateOptions(stack=stack, checkov=checkov, waivers=waivers))
    reports = {fmt: RENDERERS[fmt](result) for fmt in ("text", "json", "markdown")}
    return GateEvidence(
        verdict=result.verdict,
        preview_digest=sha256_digest(canonical_json(document)),
        preview_source=source,
        report_digest=sha256_digest(reports["json"].encode("utf-8")),
        summary=result.summary(),
        checkov=checkov,
        reports=reports,
    )


def _provenance(ws: Workspace, bundle: ReleaseBundle, evidence: GateEvidence, now: dt.datetime) -> dict[str, Any]:
    return {
        "bundle_digest": bundle.digest,
        "bundle": bundle.promotable(),
        "infra_commit": bundle.infra_commit,
        "source_commit": gitrepo.head_commit(ws.repo),
        "preview_digest": evidence.preview_digest,
        "preview_source": evidence.preview_source,
        "gate": evidence.as_record(),
        "policy_set_digest": policy_set_digest(),
        "who": gitrepo.who(ws.repo),
        "when": iso(now),
    }


def _require_infra_commit(ws: Workspace, bundle: ReleaseBundle, stack: str) -> None:
    if gitrepo.resolve_commit(ws.repo, bundle.infra_commit) is None:
        raise BundleError(
            f"release.{stack}.yaml pins infra commit {bundle.infra_commit[:12]}, which this clone does not have (git fetch)"
        )
    if not gitrepo.is_ancestor(ws.repo, bundle.infra_commit):
        raise PromotionRefusedError(
            f"infra commit {bundle.infra_commit[:12]} of {stack}'s bundle is not an ancestor of HEAD (not on main)"
        )


@dataclass
class RecordResult:
    record: dict[str, Any]
    evidence: GateEvidence


def record_verdict(
    ws: Workspace,
    stack: str,
    *,
    preview: str | None = None,
    checkov: bool = True,
    waivers: str | None = None,
    infra_commit: str | None = None,
    now: dt.datetime | None = None,
) -> RecordResult:
    """Gate the stack's current bundle and append the verdict (allow or deny) to its ledger."""
    ws.require_stack(stack)
    ws.require_clean()
    bundle = load_bundle(stack, ws.stacks_dir)
    if infra_commit:
        resolved = gitrepo.resolve_commit(ws.repo, infra_commit)
        if resolved is None:
            raise BundleError(f"--infra-commit {infra_commit!r} is not a commit in this repository")
        bundle = bundle.with_infra_commit(resolved)
    _require_infra_commit(ws, bundle, stack)
    read_ledger(ws.ledger_dir, stack)  # a broken chain fails before the gate runs
    evidence = gate_stack(ws, stack, bundle, preview=preview, checkov=checkov, waivers=waivers)
    if infra_commit:
        bundle_path(stack, ws.stacks_dir).write_text(bundle.render(), encoding="utf-8")
    fields = {"kind": "verdict", **_provenance(ws, bundle, evidence, now or utc_now())}
    return RecordResult(append_record(ws.ledger_dir, stack, fields), evidence)


@dataclass
class PromotionResult:
    source: str
    target: str
    bundle: ReleaseBundle
    previous: ReleaseBundle | None
    diff: list[str]
    dry_run: bool
    soak_hours: float
    soaked_hours: float
    evidence: GateEvidence | None
    record: dict[str, Any] | None

    @property
    def unchanged(self) -> bool:
        return not self.diff


def promote(
    ws: Workspace,
    source: str,
    target: str,
    *,
    dry_run: bool = False,
    soak_hours: float | None = None,
    checkov: bool = True,
    waivers: str | None = None,
    preview: str | None = None,
    now: dt.datetime | None = None,
) -> PromotionResult:
    now = now or utc_now()
    if source == target:
        raise StackError(f"--from and --to are both {source!r}")
    ws.require_stack(source)
    ws.require_stack(target)
    ws.require_clean()
    bundle = load_bundle(source, ws.stacks_dir)
    previous_path = bundle_path(target, ws.stacks_dir)
    previous = load_bundle(target, ws.stacks_dir) if previous_path.exists() else None
    read_ledger(ws.ledger_dir, target)  # refuse before the gate if the target's chain is broken
    verdict = allow_verdict(read_ledger(ws.ledger_dir, source), bundle.digest)
    if verdict is None:
        raise PromotionRefusedError(
            f"{source} has no recorded allow verdict for bundle {bundle.digest[:19]}: "
            f"run `platformctl record --stack {source}` after it is deployed there"
        )
    soak = DEFAULT_SOAK_HOURS.get(target, FALLBACK_SOAK_HOURS) if soak_hours is None else soak_hours
    if soak < 0:
        raise PlatformError(f"--soak must be zero or more hours, not {soak}")
    soaked = (now - parse_iso(verdict["when"])).total_seconds() / 3600
    if soaked < soak:
        ready = iso(parse_iso(verdict["when"]) + dt.timedelta(hours=soak))
        raise PromotionRefusedError(
            f"bundle {bundle.digest[:19]} was verified in {source} {soaked:.1f} h ago; "
            f"{target} needs a soak of {soak:g} h (ready at {ready})"
        )
    _require_infra_commit(ws, bundle, source)
    candidate = bundle.for_stack(target)
    diff = diff_bundles(previous, candidate)
    result = PromotionResult(source, target, candidate, previous, diff, dry_run, soak, soaked, None, None)
    if not diff:
        return result
    evidence = gate_stack(ws, target, candidate, preview=preview, checkov=checkov, waivers=waivers)
    result.evidence = evidence
    if evidence.verdict != "allow":
        last = evidence.reports["text"].strip().splitlines()[-1]
        raise PromotionRefusedError(f"the gate denies {target} with bundle {bundle.digest[:19]}: {last}")
    if dry_run:
        return result
    fields = {
        "kind": "promotion",
        "source_stack": source,
        "source_verdict": verdict["digest"],
        "previous_bundle_digest": previous.digest if previous else None,
        "soak_hours": soak,
        "soaked_hours": round(soaked, 2),
        **_provenance(ws, candidate, evidence, now),
    }
    previous_path.write_text(candidate.render(), encoding="utf-8")
    result.record = append_record(ws.ledger_dir, target, fields)
    return result


def history(ws: Workspace, stack: str) -> list[dict[str, Any]]:
    if not (ws.stacks_dir / f"Pulumi.{stack}.yaml").is_file() and not (ws.ledger_dir / f"{stack}.jsonl").exists():
        ws.require_stack(stack)
    return read_ledger(ws.ledger_dir, stack)


def render_history(stack: str, records: list[dict[str, Any]]) -> str:
    if not records:
        return f"{stack}: no provenance records yet\n"
    rows = [("SEQ", "WHEN (UTC)", "KIND", "BUNDLE", "FROM", "VERDICT", "COMMIT", "INFRA", "WHO")]
    for r in records:
        rows.append(
            (
                str(r["seq"]),
                r["when"],
                r["kind"],
                r["bundle_digest"][:19],
                r.get("source_stack") or "-",
                r["gate"].get("verdict", "?"),
                r["source_commit"][:12],
                r.get("infra_commit", "")[:12],
                r["who"],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.append(f"{stack}: {len(records)} record(s), hash chain verified, head {records[-1]['digest'][:19]}")
    return "\n".join(lines) + "\n"


def render_history_json(records: list[dict[str, Any]]) -> str:
    return json.dumps(records, indent=2, sort_keys=True) + "\n"
