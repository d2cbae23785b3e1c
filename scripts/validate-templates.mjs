// Runs AWS's CloudFormation validator (@aws/cloudformation-validate, the engine
// aws-cdk-lib's own synth-time validation uses) over the final templates of a cloud
// assembly: node scripts/validate-templates.mjs DIR. Only the final templates show
// cross-stack references as they deploy (Fn::GetStackOutput), which the synth-time
// validation cannot see. Prints every error and warning; exits 1 if any is an error.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { RegoEngine, TemplateFile } from "@aws/cloudformation-validate";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node scripts/validate-templates.mjs CLOUD_ASSEMBLY_DIR");
  process.exit(2);
}
const templates = readdirSync(dir).filter((f) => f.endsWith(".template.json")).sort();
if (templates.length === 0) {
  console.error(`no *.template.json in ${dir}: synthesize first`);
  process.exit(2);
}
const engine = new RegoEngine();
let errors = 0;
try {
  for (const name of templates) {
    const report = engine.validateStandard(new TemplateFile(join(dir, name)));
    for (const d of report.diagnostics) {
      const severity = String(d.severity).toUpperCase();
      if (severity === "INFO") continue; // create-only properties, untagged helper resources
      if (severity === "ERROR") errors++;
      console.log(`${name}: [${d.severity}] ${d.ruleId} ${d.resource ?? d.logicalId ?? ""} ${d.path ?? ""}: ${d.message}`);
    }
  }
} finally {
  engine.free();
}
console.log(`${templates.length} templates validated, ${errors} error(s)`);
process.exit(errors > 0 ? 1 : 0);
