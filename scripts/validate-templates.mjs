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
// Starting the engine takes about 3 s, and the first templates with a resource type
// take it longer than the same type later, so one run takes many folders:
//   --stdin        read the folders from stdin, one per line, each validated as soon
//                  as it arrives (the infrastructure tests stream theirs; make synth
//                  sends its output folder once cdk synth has written it);
//   --warm PATH    first validate PATH (a template, or a folder of *.json templates)
//                  and report nothing of it: make synth warms the engine on the
//                  committed snapshots while the app builds its constructs;
//   --errors-only  print the errors, and count the warnings in the summary line.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { RegoEngine, TemplateFile } from "@aws/cloudformation-validate";

const usage = "usage: node scripts/validate-templates.mjs [--warm PATH]... [--errors-only] (CLOUD_ASSEMBLY_DIR... | --stdin)";
let fromStdin = false;
let errorsOnly = false;
const warm = [];
const dirsGiven = [];
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === "--stdin") fromStdin = true;
  else if (arg === "--errors-only") errorsOnly = true;
  else if (arg === "--warm" && i + 1 < process.argv.length) warm.push(process.argv[++i]);
  else if (arg.startsWith("--")) {
    console.error(`unknown option ${arg}\n${usage}`);
    process.exit(2);
  } else dirsGiven.push(arg);
}
if (fromStdin === dirsGiven.length > 0) {
  console.error(usage);
  process.exit(2);
}
const engine = new RegoEngine();
let errors = 0;

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
  for (const name of templates) {
    const report = engine.validateStandard(new TemplateFile(join(dir, name)), {
      pseudoParameterOverrides: envs.get(name) ?? {},
    });
    for (const d of report.diagnostics) {
      const severity = String(d.severity).toUpperCase();
      if (severity === "INFO") continue; // create-only properties, untagged helper resources
      const error = severity === "ERROR" || severity === "FATAL";
      if (error) found++;
      else warnings++;
      if (error || !errorsOnly) {
        console.log(`${join(dir, name)}: [${d.severity}] ${d.ruleId} ${d.resource ?? d.logicalId ?? ""} ${d.path ?? ""}: ${d.message}`);
      }
    }
  }
  const listed = errorsOnly && warnings > 0 ? `, ${warnings} warning(s) (node scripts/validate-templates.mjs ${dir} lists them)` : "";
  console.log(`${dir}: ${templates.length} templates validated, ${found} error(s)${listed}`);
  errors += found;
  return true;
}

// warmUp validates the templates at path, a file or a folder of *.json, and
// discards what it finds.
function warmUp(path) {
  if (!existsSync(path)) return;
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((f) => f.endsWith(".json")).map((f) => join(path, f))
    : [path];
  for (const file of files) {
    try {
      engine.validateStandard(new TemplateFile(file), {});
    } catch {
      // not a template: nothing to learn from it
    }
  }
}

let missing = false;
try {
  for (const path of warm) warmUp(path);
  const dirs = fromStdin ? createInterface({ input: process.stdin }) : dirsGiven;
  for await (const dir of dirs) {
    if (dir.trim() !== "" && !validate(dir.trim())) missing = true;
  }
} finally {
  engine.free();
}
process.exit(missing ? 2 : errors > 0 ? 1 : 0);
