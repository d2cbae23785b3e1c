// Runs AWS's CloudFormation validator (@aws/cloudformation-validate, the engine
// aws-cdk-lib's own synth-time validation uses) over the final templates of a cloud
// assembly: node scripts/validate-templates.mjs DIR... Only the final templates show
// cross-stack references as they deploy (Fn::GetStackOutput), which the synth-time
// validation cannot see. Prints every error and warning, each line starting with
// DIR/TEMPLATE, and one summary line per assembly; exits 1 if any is an error.
// Each template is validated for its stack's region and account, as aws-cdk-lib's
// validation does (from the assembly's manifest.json), and a FATAL or ERROR finding
// fails it, as in synth with "@aws-cdk/core:validateAgainstDefaultRules"; unlike
// synth, no rule is skipped.
// Starting the engine is what takes the time (about 3 s), so one run takes many
// folders: as arguments, or with --stdin one per line as they are written, each
// validated as soon as it arrives (the infrastructure tests stream theirs).
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { RegoEngine, TemplateFile } from "@aws/cloudformation-validate";

const args = process.argv.slice(2);
const fromStdin = args.length === 1 && args[0] === "--stdin";
if (args.length === 0) {
  console.error("usage: node scripts/validate-templates.mjs CLOUD_ASSEMBLY_DIR... | --stdin");
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
  for (const name of templates) {
    const report = engine.validateStandard(new TemplateFile(join(dir, name)), {
      pseudoParameterOverrides: envs.get(name) ?? {},
    });
    for (const d of report.diagnostics) {
      const severity = String(d.severity).toUpperCase();
      if (severity === "INFO") continue; // create-only properties, untagged helper resources
      if (severity === "ERROR" || severity === "FATAL") found++;
      console.log(`${join(dir, name)}: [${d.severity}] ${d.ruleId} ${d.resource ?? d.logicalId ?? ""} ${d.path ?? ""}: ${d.message}`);
    }
  }
  console.log(`${dir}: ${templates.length} templates validated, ${found} error(s)`);
  errors += found;
  return true;
}

let missing = false;
try {
  const dirs = fromStdin ? createInterface({ input: process.stdin }) : args;
  for await (const dir of dirs) {
    if (dir.trim() !== "" && !validate(dir.trim())) missing = true;
  }
} finally {
  engine.free();
}
process.exit(missing ? 2 : errors > 0 ? 1 : 0);
