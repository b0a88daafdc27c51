/**
 * Checks management API answers against the served OpenAPI document (src/admin/openapi.ts):
 * the operation must document the status, and the body must satisfy its schema. A small
 * validator for the JSON Schema subset the document uses: $ref, type (with "null"),
 * required, properties, additionalProperties, items, enum, bounds, date-time.
 */
import { openApiDocument } from "../../src/admin/openapi.ts";

type Schema = Record<string, unknown>;
// deno-lint-ignore no-explicit-any
const doc = openApiDocument as any;

/** Which documented (operation, status) pairs real answers have covered, for the coverage test. */
export const validated = new Set<string>();

/** The documented path template of a request path (query stripped), for `method`. */
export function findOperation(
  method: string,
  path: string,
): { template: string; operation: Schema } | null {
  const bare = path.split("?")[0];
  const candidates: { template: string; operation: Schema; params: number }[] = [];
  for (const [template, item] of Object.entries(doc.paths as Record<string, Schema>)) {
    const operation = item[method.toLowerCase()] as Schema | undefined;
    if (!operation) continue;
    const source = template.split("/").map((seg) =>
      seg === "{key}" ? ".+" : /^\{\w+\}$/.test(seg) ? "[^/]+" : seg.replace(/[.]/g, "\\.")
    ).join("/");
    if (new RegExp(`^${source}$`).test(bare)) {
      candidates.push({ template, operation, params: (template.match(/\{/g) ?? []).length });
    }
  }
  candidates.sort((a, b) => a.params - b.params);
  return candidates[0] ?? null;
}

/** Problems with an answer, per the document; empty when it conforms. */
export function responseProblems(
  method: string,
  path: string,
  status: number,
  body: unknown,
): string[] {
  const found = findOperation(method, path);
  if (!found) return [];
  const responses = found.operation.responses as Record<string, Schema>;
  let response = responses[String(status)];
  if (!response) {
    return [`${method} ${found.template} does not document status ${status}`];
  }
  if (typeof response.$ref === "string") response = resolve(response.$ref);
  // deno-lint-ignore no-explicit-any
  const schema = (response as any).content?.["application/json"]?.schema as Schema | undefined;
  if (!schema) {
    // A documented answer that is not JSON (the text of /metrics): its status is the check.
    validated.add(`${method.toUpperCase()} ${found.template} ${status}`);
    return [];
  }
  const problems: string[] = [];
  check(schema, body, "body", problems);
  if (problems.length === 0) validated.add(`${method.toUpperCase()} ${found.template} ${status}`);
  return problems.map((p) => `${method} ${found.template} ${status}: ${p}`);
}

function resolve(ref: string): Schema {
  return ref.slice(2).split("/").reduce((o, k) => o[k], doc) as Schema;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function check(schema: Schema, value: unknown, at: string, problems: string[]): void {
  if (typeof schema.$ref === "string") return check(resolve(schema.$ref), value, at, problems);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = typeOf(value);
    const ok = types.includes(actual) || (actual === "integer" && types.includes("number"));
    if (!ok) {
      problems.push(`${at} is ${actual}, expected ${types.join(" or ")}`);
      return;
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    problems.push(`${at} = ${JSON.stringify(value)} is not one of ${schema.enum.join(", ")}`);
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) {
      problems.push(`${at} < ${schema.minimum}`);
    }
    if (typeof schema.maximum === "number" && value > schema.maximum) {
      problems.push(`${at} > ${schema.maximum}`);
    }
  }
  if (
    typeof value === "string" && schema.format === "date-time" &&
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value)
  ) {
    problems.push(`${at} = ${value} is not a date-time`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((v, i) => check(schema.items as Schema, v, `${at}[${i}]`, problems));
  }
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    for (const name of (schema.required as string[] | undefined) ?? []) {
      if (!(name in obj)) problems.push(`${at}.${name} is required but missing`);
    }
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [name, v] of Object.entries(obj)) {
      if (props[name]) check(props[name], v, `${at}.${name}`, problems);
      else if (schema.additionalProperties === false) {
        problems.push(`${at}.${name} is not in the schema`);
      } else if (typeof schema.additionalProperties === "object") {
        check(schema.additionalProperties as Schema, v, `${at}.${name}`, problems);
      } else if (schema.properties) {
        problems.push(`${at}.${name} is not documented`);
      }
    }
  }
}
