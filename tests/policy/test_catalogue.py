"""The rule catalogue (METADATA annotations) is complete, valid and backed by tests.

`validate()` runs at import: every rule's title, description, severity, controls, remediation and its
allows_/denies_ tests are checked there (the rejections below show that it does), and the Rego tests
themselves run in test_rego_rules.py (regorus) and test_opa_parity.py (OPA), so they are not re-run here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from platformctl.gate.policy.catalogue import (
    CatalogueError,
    load_catalogue,
    rule_tests,
    validate,
)

RULES = validate()


def test_catalogue_covers_every_domain() -> None:
    assert {rule_id.split("-")[1] for rule_id in RULES} == {"RES", "ENC", "NET", "IAM", "K8S", "OPS"}
    assert len(RULES) >= 50


def test_residency_rules_cite_cross_border_control() -> None:
    for rule in RULES.values():
        if rule.rule_id.startswith("UAE-RES-"):
            assert "UAE-PDPL-Art.22-23" in rule.controls, rule.rule_id


def _policy_tree(tmp_path: Path, metadata: str, body: str = 'f := {"rule_id": "UAE-ENC-901"}') -> Path:
    package = tmp_path / "uae" / "enc"
    package.mkdir(parents=True)
    (package / "demo.rego").write_text(
        f"{metadata}package uae.enc.demo\n\ndeny contains f if {{\n\t{body}\n}}\n", encoding="utf-8"
    )
    return tmp_path


_GOOD = """# METADATA
# title: Demo
# description: Demo rule.
# scope: package
# custom:
#   id: UAE-ENC-901
#   severity: low
#   controls: ["ISO27001:A.8.24"]
#   remediation: Fix it.
"""


def test_accepts_a_well_formed_rule(tmp_path: Path) -> None:
    assert set(load_catalogue(_policy_tree(tmp_path, _GOOD))) == {"UAE-ENC-901"}


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (_GOOD.replace("# title: Demo\n", ""), "title"),
        (_GOOD.replace("#   remediation: Fix it.\n", ""), "remediation"),
        (_GOOD.replace("low", "urgent"), "severity"),
        (_GOOD.replace("ISO27001:A.8.24", "ISO 27001 A.8.24"), "unknown control"),
        (_GOOD.replace("UAE-ENC-901", "ENC-1"), "rule id"),
        (_GOOD.replace("Fix it.", "Set a: b"), "not valid YAML"),
        ("", "no METADATA"),
        (_GOOD.replace("# scope: package\n", ""), "scope: package"),
        (_GOOD.replace("scope: package", "scope: rule"), "scope: package"),
        (_GOOD + "import data.lib\n\n", "right before `package`"),
        (_GOOD + "\n", "right before `package`"),
    ],
)
def test_rejects_bad_metadata(tmp_path: Path, metadata: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(_policy_tree(tmp_path, metadata))


def test_rejects_rule_scoped_metadata_after_package(tmp_path: Path) -> None:
    """The pre-idiom layout (a block on the first deny) covers that one deny only: refused."""
    root = tmp_path / "uae" / "enc"
    root.mkdir(parents=True)
    rule_scoped = _GOOD.replace("# scope: package\n", "")
    (root / "demo.rego").write_text(
        "package uae.enc.demo\n\n" + rule_scoped + 'deny contains f if {\n\tf := {"rule_id": "UAE-ENC-901"}\n}\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match="right before `package`"):
        load_catalogue(tmp_path)


def test_rejects_a_second_metadata_block(tmp_path: Path) -> None:
    extra = "\n# METADATA\n# title: Second\n" + 'deny contains f if {\n\tf := {"rule_id": "UAE-ENC-901"}\n}\n'
    root = _policy_tree(tmp_path, _GOOD)
    demo = root / "uae" / "enc" / "demo.rego"
    demo.write_text(demo.read_text(encoding="utf-8") + extra, encoding="utf-8")
    with pytest.raises(CatalogueError, match="one METADATA block per rule file"):
        load_catalogue(root)


def test_rejects_duplicate_rule_ids(tmp_path: Path) -> None:
    root = _policy_tree(tmp_path, _GOOD)
    (root / "uae" / "enc" / "copy.rego").write_text(
        _GOOD + 'package uae.enc.copy\n\ndeny contains f if {\n\tf := {"rule_id": "UAE-ENC-901"}\n}\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match="also declared"):
        load_catalogue(root)


def test_rejects_findings_with_undeclared_rule_id(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="findings use rule ids"):
        load_catalogue(_policy_tree(tmp_path, _GOOD, body='f := {"rule_id": "UAE-ENC-902"}'))


def test_rejects_rule_without_denies_test(tmp_path: Path) -> None:
    root = _policy_tree(tmp_path, _GOOD)
    (root / "uae" / "enc" / "demo_test.rego").write_text(
        "package uae.enc.demo_test\n\ntest_uae_enc_901_allows_nothing if true\n", encoding="utf-8"
    )
    with pytest.raises(CatalogueError, match="denies_"):
        validate(root)


def test_rejects_test_name_off_convention(tmp_path: Path) -> None:
    root = _policy_tree(tmp_path, _GOOD)
    (root / "uae" / "enc" / "demo_test.rego").write_text(
        "package uae.enc.demo_test\n\ntest_bucket_is_fine if true\n", encoding="utf-8"
    )
    with pytest.raises(CatalogueError, match="does not start with"):
        rule_tests(root)
