// Validates operator objects against the upstream schemas shipped by the kubernetes-models
// npm packages (package.json devDependencies). Reads a JSON array of objects on stdin and
// prints a JSON array with, for each object, the list of its errors (empty = valid).
//
// The packages ship each kind's schema compiled into a JSON-schema validator (ajv,
// standalone) generated from the operator's API types. Those validators accept fields they
// do not declare, while the API server drops them (structural pruning) or refuses them
// (`kubectl apply` field validation is Strict by default). So the object is handed to the
// validator through proxies that record which keys the validator looks up: a key present
// in an object whose declared fields the validator read, but never looked up itself, is a
// field the upstream schema does not declare, and is reported as unknown. Objects whose
// keys the validator enumerates (maps: labels, parameters, ...) or never looks into
// (free-form, x-kubernetes-preserve-unknown-fields) accept any key, as the API server does.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const MODELS = join(ROOT, "node_modules", "@kubernetes-models");

// API group -> the npm package that ships its kinds.
export const PACKAGES = {
  "postgresql.cnpg.io": "cloudnative-pg",
  "cert-manager.io": "cert-manager",
  "monitoring.coreos.com": "prometheus-operator",
  "external-secrets.io": "external-secrets",
};

const validators = new Map();

async function validatorFor(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (validators.has(key)) return validators.get(key);
  const [group, version] = apiVersion.split("/");
  const pkg = PACKAGES[group];
  if (!pkg || !version) throw new Error(`no upstream package for ${apiVersion}`);
  const model = join(MODELS, pkg, group, version, `${kind}.js`);
  let source;
  try {
    source = readFileSync(model, "utf8");
  } catch {
    throw new Error(`@kubernetes-models/${pkg} has no ${kind} in ${apiVersion} (${model})`);
  }
  const match = source.match(/from"(\.\.\/\.\.\/_schemas\/[A-Za-z0-9]+\.js)"/);
  if (!match) throw new Error(`no schema import in ${model}`);
  const module = await import(pathToFileURL(join(dirname(model), match[1])).href);
  validators.set(key, module.validate);
  return module.validate;
}

function tracked(value, path, records) {
  if (value === null || typeof value !== "object") return value;
  const record = { path, value, read: new Set(), enumerated: false };
  records.push(record);
  const children = new Map();
  return new Proxy(value, {
    get(target, prop, receiver) {
      const child = Reflect.get(target, prop, receiver);
      if (typeof prop !== "string") return child;
      record.read.add(prop);
      if (!Object.hasOwn(target, prop) || child === null || typeof child !== "object") return child;
      if (!children.has(prop)) children.set(prop, tracked(child, `${path}/${prop}`, records));
      return children.get(prop);
    },
    has(target, prop) {
      if (typeof prop === "string") record.read.add(prop);
      return Reflect.has(target, prop);
    },
    ownKeys(target) {
      record.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

export async function check(doc) {
  const validate = await validatorFor(doc.apiVersion, doc.kind);
  const records = [];
  const valid = validate(tracked(doc, "", records));
  const errors = valid
    ? []
    : validate.errors.map((e) => `${e.instancePath || "/"}: ${e.keyword} ${JSON.stringify(e.params)}`);
  for (const { path, value, read, enumerated } of records) {
    if (Array.isArray(value) || enumerated || read.size === 0) continue;
    for (const key of Object.keys(value)) {
      if (!read.has(key)) errors.push(`${path}/${key}: unknown field (not in the upstream schema)`);
    }
  }
  return errors;
}

const docs = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const doc of docs) results.push(await check(doc));
process.stdout.write(JSON.stringify(results));
