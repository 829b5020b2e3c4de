// Validates rendered Kubernetes manifests (helm template output) without a cluster.
//
//   node helm/validate-manifests.mjs NODE_MODULES FILE...
//
// 1. Schema: each object against the OpenAPI schema of its apiVersion/kind: the Kubernetes API's own schemas
//    (npm kubernetes-models, generated from the API server's OpenAPI document) and KEDA's CRD schemas
//    (@kubernetes-models/keda): types, required fields, enums, formats. Strict, like kubeconform -strict: a field
//    the schema does not define is an error (the packages' validators allow them, so the field names are read
//    from the same packages' type declarations). Strimzi's KafkaTopic has no package with its schema: its spec
//    is checked against the fields of Strimzi's KafkaTopic CRD written out below. An object of any other kind is
//    an error, as in kubeconform without -ignore-missing-schemas.
// 2. The chart's promises, which a schema cannot express: requests and limits on every container, the hardened
//    security context, the three Quarkus health probes, pinned image tags, references between the objects, and
//    a planner ScaledObject that never asks for more replicas than its topic has partitions.
//
// Prints one line per problem and a summary per file; exits 1 if any file has a problem.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, ...files] = process.argv.slice(2);
if (!modules || files.length === 0) {
  console.error("usage: node validate-manifests.mjs NODE_MODULES FILE...");
  process.exit(2);
}
const { parseAllDocuments } = await import(pathToFileURL(join(modules, "yaml/dist/index.js")));

function modelFile(apiVersion, kind) {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return group === "keda.sh"
    ? join(modules, "@kubernetes-models/keda", group, version, `${kind}.js`)
    : join(modules, "kubernetes-models", group === "" ? version : `${group}/${version}`, `${kind}.js`);
}

async function modelClass(apiVersion, kind) {
  const file = modelFile(apiVersion, kind);
  if (!existsSync(file)) return null;
  return (await import(pathToFileURL(file)))[kind] ?? null;
}

// --- strict field names, from the models' .d.ts files ------------------------------------------------------------
// Each model file declares one interface: `"field"?: Type;` per field, where Type is another model's interface
// (imported from its file), Array<Type>, a map `{ [key: string]: Type; }`, or a scalar/opaque type.

const interfaces = new Map(); // .d.ts path -> {fields: Map(name -> type), imports: Map(typeName -> .d.ts path)}

function declarationFile(from, specifier) {
  const base = specifier.startsWith(".") ? resolve(dirname(from), specifier) : join(modules, specifier);
  return base.replace(/\.js$/, "") + ".d.ts";
}

function readInterface(file) {
  if (interfaces.has(file)) return interfaces.get(file);
  let parsed = null;
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
    const imports = new Map();
    for (const m of text.matchAll(/import \{([^}]*)\} from "([^"]+)";/g)) {
      for (const name of m[1].split(",").map((n) => n.trim()).filter(Boolean)) {
        imports.set(name, declarationFile(file, m[2]));
      }
    }
    const start = text.search(/export interface \w+(?: extends [\w, ]+)? \{/);
    if (start >= 0) {
      const fields = new Map();
      let i = text.indexOf("{", start) + 1;
      // fields at depth 0 of the interface body: "name"?: <type up to the ';' at the same depth>;
      while (i < text.length) {
        const m = /^\s*"([^"]+)"\??:\s*/.exec(text.slice(i));
        if (!m) break;
        i += m[0].length;
        let depth = 0;
        let j = i;
        for (; j < text.length; j++) {
          const c = text[j];
          if (c === "{" || c === "<" || c === "(") depth++;
          else if (c === "}" || c === ">" || c === ")") depth--;
          else if (c === ";" && depth === 0) break;
        }
        fields.set(m[1], text.slice(i, j).trim());
        i = j + 1;
      }
      parsed = { fields, imports };
    }
  }
  interfaces.set(file, parsed);
  return parsed;
}

function strictErrors(value, type, owner, path, errors) {
  if (value === null || typeof value !== "object") return;
  let m;
  if ((m = /^Array<([\s\S]+)>$/.exec(type))) {
    if (Array.isArray(value)) value.forEach((v, k) => strictErrors(v, m[1].trim(), owner, `${path}/${k}`, errors));
  } else if ((m = /^\{\s*\[key: string\]:\s*([\s\S]+?);?\s*\}$/.exec(type))) {
    for (const [k, v] of Object.entries(value)) strictErrors(v, m[1].trim(), owner, `${path}/${k}`, errors);
  } else if (/^I\w+$/.test(type) && owner.imports.has(type)) {
    const target = readInterface(owner.imports.get(type));
    if (target) checkFields(value, target, path, errors);
  }
}

function checkFields(value, iface, path, errors) {
  if (Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (!iface.fields.has(k)) errors.push(`${path}/${k}: not a field of the schema`);
    else strictErrors(v, iface.fields.get(k), iface, `${path}/${k}`, errors);
  }
}

function unknownFieldErrors(o) {
  const top = readInterface(modelFile(o.apiVersion, o.kind).replace(/\.js$/, ".d.ts"));
  if (!top) return [`no type declarations for ${o.apiVersion} ${o.kind}`];
  const errors = [];
  checkFields(o, top, "", errors);
  return errors.map((e) => e.replace(/^\//, ""));
}

// Strimzi KafkaTopic (kafka.strimzi.io v1 and v1beta2): spec fields and their types from Strimzi's CRD.
function validateKafkaTopic(o) {
  const errors = [];
  const spec = o.spec ?? {};
  const allowed = { topicName: "string", partitions: "integer", replicas: "integer", config: "object" };
  for (const [k, v] of Object.entries(spec)) {
    const type = allowed[k];
    if (!type) errors.push(`spec.${k}: not a field of KafkaTopic`);
    else if (type === "integer" ? !Number.isInteger(v) : typeof v !== type || v === null) {
      errors.push(`spec.${k} must be ${type}`);
    }
  }
  if (Number.isInteger(spec.partitions) && spec.partitions < 1) errors.push("spec.partitions must be >= 1");
  if (Number.isInteger(spec.replicas) && (spec.replicas < 1 || spec.replicas > 32767)) {
    errors.push("spec.replicas must be within 1..32767");
  }
  for (const [k, v] of Object.entries(spec.config ?? {})) {
    if (!["string", "number", "boolean"].includes(typeof v)) errors.push(`spec.config.${k} must be a scalar`);
  }
  if (!o.metadata?.labels?.["strimzi.io/cluster"]) {
    errors.push("metadata.labels: strimzi.io/cluster is needed for the Topic Operator to manage the topic");
  }
  return errors;
}

async function schemaErrors(o) {
  if (typeof o.apiVersion !== "string" || typeof o.kind !== "string") return ["apiVersion and kind are required"];
  if (/^kafka\.strimzi\.io\/(v1|v1beta2)$/.test(o.apiVersion) && o.kind === "KafkaTopic") return validateKafkaTopic(o);
  const Model = await modelClass(o.apiVersion, o.kind);
  if (!Model) return [`no schema for ${o.apiVersion} ${o.kind}`];
  const errors = unknownFieldErrors(o);
  try {
    new Model(o).validate();
  } catch (e) {
    errors.push(...e.message.split(/, (?=data)/).map((m) => m.replace(/^data\//, "").replace(/^data /, "")));
  }
  return errors;
}

const HEALTH = { startupProbe: "/q/health/started", readinessProbe: "/q/health/ready", livenessProbe: "/q/health/live" };

function podPolicyErrors(o) {
  const errors = [];
  const pod = o.spec?.template?.spec ?? {};
  const psc = pod.securityContext ?? {};
  if (psc.runAsNonRoot !== true) errors.push("pod securityContext.runAsNonRoot must be true");
  if (psc.seccompProfile?.type !== "RuntimeDefault") errors.push("pod seccompProfile must be RuntimeDefault");
  if (pod.automountServiceAccountToken !== false) errors.push("automountServiceAccountToken must be false");
  const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
  for (const c of pod.containers ?? []) {
    const at = `container ${c.name}`;
    for (const kind of ["requests", "limits"]) {
      for (const r of ["cpu", "memory"]) {
        if (c.resources?.[kind]?.[r] === undefined) errors.push(`${at}: resources.${kind}.${r} is missing`);
      }
    }
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) errors.push(`${at}: allowPrivilegeEscalation must be false`);
    if (sc.readOnlyRootFilesystem !== true) errors.push(`${at}: readOnlyRootFilesystem must be true`);
    if (sc.privileged === true) errors.push(`${at}: must not be privileged`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) errors.push(`${at}: capabilities.drop must include ALL`);
    const tag = /:([^/:@]+)$/.exec(c.image ?? "")?.[1];
    if (!tag || tag === "latest") errors.push(`${at}: image ${c.image} needs a pinned tag`);
    for (const [probe, path] of Object.entries(HEALTH)) {
      const get = c[probe]?.httpGet;
      if (!get || get.path !== path) errors.push(`${at}: ${probe} must GET ${path}`);
      else if (!(c.ports ?? []).some((p) => p.name === get.port || p.containerPort === get.port)) {
        errors.push(`${at}: ${probe} port ${get.port} is not a container port`);
      }
    }
    for (const m of c.volumeMounts ?? []) {
      if (!volumes.has(m.name)) errors.push(`${at}: volumeMount ${m.name} has no volume`);
    }
  }
  return errors;
}

const key = (o) => `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;

function crossErrors(objects) {
  const errors = [];
  const seen = new Set();
  const named = (kind, name) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
  for (const o of objects) {
    if (seen.has(key(o))) errors.push([o, "duplicate object"]);
    seen.add(key(o));
  }
  const deployments = objects.filter((o) => o.kind === "Deployment");
  for (const d of deployments) {
    for (const c of d.spec?.template?.spec?.containers ?? []) {
      for (const e of c.envFrom ?? []) {
        if (e.configMapRef && !named("ConfigMap", e.configMapRef.name)) {
          errors.push([d, `envFrom ConfigMap ${e.configMapRef.name} is not rendered`]);
        }
        if (e.secretRef && !e.secretRef.optional && !named("Secret", e.secretRef.name)) {
          errors.push([d, `envFrom Secret ${e.secretRef.name} is not rendered`]);
        }
      }
    }
    const labels = d.spec?.template?.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(d.spec?.selector?.matchLabels ?? {})) {
      if (labels[k] !== v) errors.push([d, `selector ${k}=${v} does not match the pod labels`]);
    }
  }
  for (const s of objects.filter((o) => o.kind === "Service")) {
    const selector = Object.entries(s.spec?.selector ?? {});
    const target = deployments.find((d) =>
      selector.every(([k, v]) => d.spec?.template?.metadata?.labels?.[k] === v));
    if (!target) errors.push([s, "selects no rendered Deployment"]);
    else {
      const ports = target.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
      for (const p of s.spec.ports ?? []) {
        const t = p.targetPort ?? p.port;
        if (!ports.some((cp) => cp.name === t || cp.containerPort === t)) {
          errors.push([s, `targetPort ${t} is not a port of ${target.metadata.name}`]);
        }
      }
    }
  }
  for (const so of objects.filter((o) => o.kind === "ScaledObject")) {
    const ref = so.spec?.scaleTargetRef?.name;
    if (!named("Deployment", ref)) errors.push([so, `scaleTargetRef ${ref} is not a rendered Deployment`]);
    else if (named("Deployment", ref).spec.replicas !== undefined) {
      errors.push([so, `Deployment ${ref} sets replicas: every upgrade would reset what KEDA scaled`]);
    }
    for (const t of so.spec?.triggers ?? []) {
      if (t.type !== "kafka") continue;
      const topic = objects.find((o) => o.kind === "KafkaTopic" && o.spec?.topicName === t.metadata?.topic);
      if (topic && so.spec.maxReplicaCount > topic.spec.partitions) {
        errors.push([so, `maxReplicaCount ${so.spec.maxReplicaCount} exceeds the ${topic.spec.partitions} partitions of ${t.metadata.topic}`]);
      }
    }
  }
  return errors;
}

let failed = false;
for (const file of files) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  const objects = [];
  let problems = 0;
  const report = (what, message) => {
    problems++;
    console.log(`${file}: ${what}: ${message}`);
  };
  for (const doc of docs) {
    if (doc.errors.length) {
      report("yaml", doc.errors.map((e) => e.message).join("; "));
      continue;
    }
    const o = doc.toJS();
    if (o === null || o === undefined) continue;
    objects.push(o);
    for (const e of await schemaErrors(o)) report(`${o.kind} ${o.metadata?.name}`, e);
    if (o.kind === "Deployment") for (const e of podPolicyErrors(o)) report(`Deployment ${o.metadata?.name}`, e);
  }
  for (const [o, e] of crossErrors(objects)) report(`${o.kind} ${o.metadata?.name}`, e);
  const kinds = {};
  for (const o of objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
  const summary = Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ");
  console.log(`${file}: ${objects.length} objects (${summary}): ${problems === 0 ? "valid" : `${problems} problem(s)`}`);
  if (objects.length === 0 || problems > 0) failed = true;
}
process.exit(failed ? 1 : 0);
