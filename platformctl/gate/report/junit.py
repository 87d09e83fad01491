"""The JUnit XML report: one test case per rule and stack (CI test tabs), unchecked resources skipped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from platformctl.gate.findings import Finding, GateResult
from platformctl.gate.report.common import UNCHECKED_RULE_ID


def render_junit(result: GateResult) -> str:
    suites = ET.Element("testsuites", name="platformctl-gate")
    total_failures = total_tests = 0
    for stack in result.stacks:
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for f in stack.findings:
            by_rule[f.rule_id].append(f)
        rule_ids = sorted(set(result.rules) | set(by_rule))
        suite = ET.SubElement(suites, "testsuite", name=f"gate.{stack.stack}", file=stack.source)
        failures = skipped = 0
        for rule_id in rule_ids:
            found = by_rule.get(rule_id, [])
            meta = result.rules.get(rule_id, {})
            case = ET.SubElement(
                suite, "testcase", classname=f"gate.{stack.stack}", name=f"{rule_id} {meta.get('title', '')}".strip()
            )
            blocking = [f for f in found if f.blocking]
            if blocking:
                failures += 1
                failure = ET.SubElement(
                    case, "failure", message=f"{len(blocking)} resource(s) violate {rule_id}", type=blocking[0].severity
                )
                failure.text = "\n".join(f"{f.urn}: {f.message}" for f in blocking)
            elif found and all(f.waived for f in found if f.enforced) and any(f.waived for f in found):
                skipped += 1
                ET.SubElement(
                    case,
                    "skipped",
                    message="waived: " + "; ".join(f"{f.urn} ({f.waiver['ticket']})" for f in found if f.waiver),
                )
            elif found:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(f"advisory: {f.urn}: {f.message}" for f in found)
        for u in stack.unchecked:
            skipped += 1
            case = ET.SubElement(
                suite, "testcase", classname=f"gate.{stack.stack}.unchecked", name=f"{UNCHECKED_RULE_ID} {u.urn}"
            )
            properties = ET.SubElement(case, "properties")
            ET.SubElement(properties, "property", name="resource_type", value=u.type)
            ET.SubElement(case, "skipped", message=f"not checked by any engine: {u.reason}")
        suite.set("tests", str(len(rule_ids) + len(stack.unchecked)))
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
        suite.set("errors", "0")
        total_failures += failures
        total_tests += len(rule_ids) + len(stack.unchecked)
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
