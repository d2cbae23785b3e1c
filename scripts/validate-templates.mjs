// Runs AWS's CloudFormation validator (@aws/cloudformation-validate, the engine
// aws-cdk-lib's own synth-time validation uses) over the final templates of a cloud
// assembly: node scripts/validate-templates.mjs DIR. Only the final templates show
// cross-stack references as they deploy (Fn::GetStackOutput), which the synth-time
// validation cannot see. Prints every error and warning, each line starting with
// DIR/TEMPLATE, and one summary line per assembly; exits 1 if any is an error.
// Several assemblies in one run share one engine, which is what takes the time.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { RegoEngine, TemplateFile } from "@aws/cloudformation-validate";

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error("usage: node scripts/validate-templates.mjs CLOUD_ASSEMBLY_DIR...");
  process.exit(2);
}
const engine = new RegoEngine();
let errors = 0;
try {
  for (const dir of dirs) {
    const templates = readdirSync(dir).filter((f) => f.endsWith(".template.json")).sort();
    if (templates.length === 0) {
      console.error(`no *.template.json in ${dir}: synthesize first`);
      process.exit(2);
    }
    let found = 0;
    for (const name of templates) {
      const report = engine.validateStandard(new TemplateFile(join(dir, name)));
      for (const d of report.diagnostics) {
        const severity = String(d.severity).toUpperCase();
        if (severity === "INFO") continue; // create-only properties, untagged helper resources
        if (severity === "ERROR") found++;
        console.log(`${join(dir, name)}: [${d.severity}] ${d.ruleId} ${d.resource ?? d.logicalId ?? ""} ${d.path ?? ""}: ${d.message}`);
      }
    }
    console.log(`${dir}: ${templates.length} templates validated, ${found} error(s)`);
    errors += found;
  }
} finally {
  engine.free();
}
process.exit(errors > 0 ? 1 : 0);
