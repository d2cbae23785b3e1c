// Runs AWS's CloudFormation validator (@aws/cloudformation-validate, the engine
// aws-cdk-lib's own synth-time validation uses) over the final templates of a cloud
// assembly: node scripts/validate-templates.mjs [OPTIONS] DIR... Only the final
// templates show cross-stack references as they deploy (Fn::GetStackOutput), which
// the synth-time validation cannot see. Prints every error and warning, each line
// starting with DIR/TEMPLATE, and one summary line per assembly; exits 1 if any is
// an error. Each template is validated for its stack's region and account, as
// aws-cdk-lib's validation does (from the assembly's manifest.json), and a FATAL or
// ERROR finding fails it, as in synth with "@aws-cdk/core:validateAgainstDefaultRules";
// unlike synth, no rule is skipped.
//
// Run it with node --single-threaded, as make synth and the tests do: the engine is
// WebAssembly, and V8's background compiler and garbage-collector threads cost
// more CPU than they save on 2 cores (about half the CPU of a short run).
//
// Options:
//   --stdin        read the folders from stdin, one per line, each validated as soon
//                  as it arrives: starting the engine takes about 3 s, so the
//                  infrastructure tests stream all theirs to one run;
//   --cache DIR    skip a template that passed here before: the same bytes, for the
//                  same region and account, with the same validator and this same
//                  script. DIR keeps one file per such key, holding the warnings
//                  found, which are printed again as if found anew; a template
//                  with an error is validated every time. An entry unused for 14
//                  days is removed. make synth and the tests use bin/validated;
//   --errors-only  print the errors, and count the warnings in the summary line.
// A template met twice in one run, byte for byte and for the same region and
// account, is validated once; its findings are printed for both.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { RegoEngine, TemplateFile } from "@aws/cloudformation-validate";

const usage = "usage: node --single-threaded scripts/validate-templates.mjs [--cache DIR] [--errors-only] (CLOUD_ASSEMBLY_DIR... | --stdin)";
let fromStdin = false;
let errorsOnly = false;
let cacheDir;
const dirsGiven = [];
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === "--stdin") fromStdin = true;
  else if (arg === "--errors-only") errorsOnly = true;
  else if (arg === "--cache" && i + 1 < process.argv.length) cacheDir = process.argv[++i];
  else if (arg.startsWith("--")) {
    console.error(`unknown option ${arg}\n${usage}`);
    process.exit(2);
  } else dirsGiven.push(arg);
}
if (fromStdin === dirsGiven.length > 0) {
  console.error(usage);
  process.exit(2);
}

// The engine starts on the first template that is not in the cache.
let engine;
let errors = 0;
// findings holds what this run found in each template it validated, by key: a
// template met again byte for byte (the tests' variants share most of their
// stacks) gets the same findings without a second validation.
const findings = new Map();

// validator identifies the rules a cached pass was made with: the engine's version
// and this script.
const validator = createHash("sha256")
  .update(readFileSync(join(dirname(fileURLToPath(import.meta.resolve("@aws/cloudformation-validate"))), "package.json")))
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .digest("hex");

// environments maps each template of an assembly to its stack's region and account,
// where the manifest names them (aws://ACCOUNT/REGION; unknown-* when unresolved).
function environments(dir) {
  const manifest = join(dir, "manifest.json");
  const envs = new Map();
  if (!existsSync(manifest)) return envs;
  for (const artifact of Object.values(JSON.parse(readFileSync(manifest, "utf8")).artifacts ?? {})) {
    const file = artifact.properties?.templateFile;
    const [, account, region] = /^aws:\/\/([^/]*)\/(.*)$/.exec(artifact.environment ?? "") ?? [];
    if (!file) continue;
    const pseudo = {};
    if (account && !account.startsWith("unknown-")) pseudo.accountId = account;
    if (region && !region.startsWith("unknown-")) pseudo.region = region;
    envs.set(file, pseudo);
  }
  return envs;
}

// cached returns the findings of a template that passed with key, or undefined,
// and marks the entry used.
function cached(key) {
  const file = cacheDir && join(cacheDir, `${key}.json`);
  if (!file || !existsSync(file)) return undefined;
  try {
    const found = JSON.parse(readFileSync(file, "utf8"));
    const now = new Date();
    utimesSync(file, now, now);
    return found;
  } catch {
    return undefined; // removed meanwhile by another run's pruning
  }
}

// remember records the findings of a template that passed, written whole or not at
// all, since make synth and the tests may share the folder.
function remember(key, diagnostics) {
  const file = join(cacheDir, `${key}.json`);
  if (existsSync(file)) return;
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(diagnostics));
  renameSync(partial, file);
}

// pruneCache removes the entries no run has used for 14 days: templates since
// changed, stages since removed.
function pruneCache() {
  if (!cacheDir || !existsSync(cacheDir)) return;
  const oldest = Date.now() - 14 * 24 * 3600 * 1000;
  for (const name of readdirSync(cacheDir)) {
    const file = join(cacheDir, name);
    try {
      if (!/^[0-9a-f]{64}\.json$/.test(name) || statSync(file).mtimeMs < oldest) rmSync(file, { force: true });
    } catch {
      // removed meanwhile
    }
  }
}

// validate prints one assembly's findings and its summary line, and returns whether
// the folder held any template.
function validate(dir) {
  const templates = readdirSync(dir).filter((f) => f.endsWith(".template.json")).sort();
  if (templates.length === 0) {
    console.error(`no *.template.json in ${dir}: synthesize first`);
    return false;
  }
  const envs = environments(dir);
  let found = 0;
  let warnings = 0;
  let unchanged = 0;
  for (const name of templates) {
    const pseudo = envs.get(name) ?? {};
    const key = createHash("sha256")
      .update(validator)
      .update(JSON.stringify(pseudo))
      .update(readFileSync(join(dir, name)))
      .digest("hex");
    let diagnostics = findings.get(key);
    if (diagnostics === undefined && (diagnostics = cached(key)) !== undefined) unchanged++;
    if (diagnostics === undefined) {
      engine ??= new RegoEngine();
      const report = engine.validateStandard(new TemplateFile(join(dir, name)), { pseudoParameterOverrides: pseudo });
      // INFO: create-only properties, untagged helper resources.
      diagnostics = report.diagnostics
        .filter((d) => String(d.severity).toUpperCase() !== "INFO")
        .map((d) => ({ severity: d.severity, ruleId: d.ruleId, where: d.resource ?? d.logicalId ?? "", path: d.path ?? "", message: d.message }));
    }
    findings.set(key, diagnostics);
    let templateErrors = 0;
    let templateWarnings = 0;
    for (const d of diagnostics) {
      const severity = String(d.severity).toUpperCase();
      const error = severity === "ERROR" || severity === "FATAL";
      if (error) templateErrors++;
      else templateWarnings++;
      if (error || !errorsOnly) {
        console.log(`${join(dir, name)}: [${d.severity}] ${d.ruleId} ${d.where} ${d.path}: ${d.message}`);
      }
    }
    found += templateErrors;
    warnings += templateWarnings;
    if (cacheDir && templateErrors === 0) remember(key, diagnostics);
  }
  const passedBefore = unchanged > 0 ? ` (${unchanged} unchanged since they last passed)` : "";
  const listed = errorsOnly && warnings > 0 ? `, ${warnings} warning(s) (node scripts/validate-templates.mjs ${dir} lists them)` : "";
  console.log(`${dir}: ${templates.length} templates validated${passedBefore}, ${found} error(s)${listed}`);
  errors += found;
  return true;
}

let missing = false;
try {
  const dirs = fromStdin ? createInterface({ input: process.stdin }) : dirsGiven;
  for await (const dir of dirs) {
    if (dir.trim() !== "" && !validate(dir.trim())) missing = true;
  }
} finally {
  engine?.free();
}
pruneCache();
process.exit(missing ? 2 : errors > 0 ? 1 : 0);
