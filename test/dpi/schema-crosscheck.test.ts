/**
 * Holds our hand-written zod rules against Digdir's JSON Schemas themselves: walks each schema alongside a
 * valid sample and checks that every `required` property is required, every closed object is closed (and
 * every open one open), every enum value is accepted and a stranger rejected, and every length limit sits
 * where the schema puts it.
 */
import { expect } from "chai";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DPI_MESSAGE_TYPES } from "../../src/dpi/document-types.js";
import { BodyKeyMismatchError, MultipleBodiesError, SbdInvalidError } from "../../src/dpi/errors.js";
import { parseStandardBusinessDocument } from "../../src/dpi/sbd.js";
import { samplePayload } from "./samples.js";

const SCHEMA_DIR = fileURLToPath(new URL("../../../shared/spec/digdir/schemas/", import.meta.url));

type Json = any;
type Path = (string | number)[];

interface Case {
  label: string;
  change: (payload: Json) => void;
  /** the violation path expected, or undefined when the change must be accepted */
  rejectedAt?: string;
  /** the error expected instead of SbdInvalidError */
  error?: new (...args: never[]) => Error;
}

function loadSchemas(): Map<string, Json> {
  const byId = new Map<string, Json>();
  for (const dir of ["common", "dpi"]) {
    for (const name of readdirSync(join(SCHEMA_DIR, dir))) {
      const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, dir, name), "utf8"));
      byId.set(schema.$id, schema);
      byId.set(`${dir}/${name}`, schema);
    }
  }
  return byId;
}

class Resolver {
  constructor(private readonly byId: Map<string, Json>) {}

  /** Follows $ref until a schema without one; returns it with the document it lives in. */
  resolve(node: Json, doc: Json): { node: Json; doc: Json } {
    while (node && typeof node.$ref === "string") {
      const [base, pointer = ""] = node.$ref.split("#");
      const target = base ? this.byId.get(base) : doc;
      if (!target) throw new Error(`unresolved $ref ${node.$ref}`);
      doc = target;
      node = pointer
        .split("/")
        .filter(Boolean)
        .reduce((n: Json, key: string) => n[key], target);
    }
    return { node, doc };
  }
}

function jsonPath(path: Path): string {
  return "$" + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("");
}

function at(root: Json, path: Path): Json {
  return path.reduce((n, key) => n[key], root);
}

function collectCases(resolver: Resolver, schema: Json, doc: Json, value: Json, path: Path, cases: Case[]): void {
  const { node, doc: home } = resolver.resolve(schema, doc);
  if (Array.isArray(value)) {
    if (node.items) value.forEach((item, i) => collectCases(resolver, node.items, home, item, [...path, i], cases));
    return;
  }
  if (value === null || typeof value !== "object" || !node.properties) return;

  // Inside standardBusinessDocument, the body key is checked before the schema, with errors of its own.
  const inSbd = path.length === 1 && path[0] === "standardBusinessDocument";
  for (const key of node.required ?? []) {
    if (key in value) {
      const isBody = inSbd && key !== "standardBusinessDocumentHeader";
      cases.push({
        label: `${jsonPath([...path, key])} is required`,
        change: (p) => delete at(p, path)[key],
        rejectedAt: jsonPath([...path, key]),
        ...(isBody ? { error: BodyKeyMismatchError } : {}),
      });
    }
  }
  const closed = node.additionalProperties === false;
  cases.push({
    label: `${jsonPath(path)} is ${closed ? "closed" : "open"}`,
    change: (p) => (at(p, path).unexpectedProperty = "x"),
    ...(closed ? { rejectedAt: jsonPath([...path, "unexpectedProperty"]) } : {}),
    ...(inSbd ? { error: MultipleBodiesError } : {}),
  });

  for (const [key, propertySchema] of Object.entries<Json>(node.properties)) {
    if (!(key in value)) continue;
    const { node: prop, doc: propHome } = resolver.resolve(propertySchema, home);
    const propPath = [...path, key];
    const enumValues: unknown[] | undefined =
      prop.enum ?? (Array.isArray(prop.oneOf) && prop.oneOf.every((o: Json) => "const" in o) ? prop.oneOf.map((o: Json) => o.const) : undefined);
    if (enumValues) {
      for (const allowed of enumValues) {
        cases.push({ label: `${jsonPath(propPath)} may be ${JSON.stringify(allowed)}`, change: (p) => (at(p, path)[key] = allowed) });
      }
      const stranger = typeof enumValues[0] === "number" ? 5 : "NOT_IN_ENUM";
      cases.push({
        label: `${jsonPath(propPath)} may not be ${JSON.stringify(stranger)}`,
        change: (p) => (at(p, path)[key] = stranger),
        rejectedAt: jsonPath(propPath),
      });
    }
    if (prop.type === "string" && !prop.pattern && !prop.format && !prop.enum) {
      if (typeof prop.maxLength === "number") {
        cases.push({ label: `${jsonPath(propPath)} may be ${prop.maxLength} long`, change: (p) => (at(p, path)[key] = "a".repeat(prop.maxLength)) });
        cases.push({
          label: `${jsonPath(propPath)} may not be ${prop.maxLength + 1} long`,
          change: (p) => (at(p, path)[key] = "a".repeat(prop.maxLength + 1)),
          rejectedAt: jsonPath(propPath),
        });
      }
      if (typeof prop.minLength === "number" && prop.minLength > 0) {
        cases.push({
          label: `${jsonPath(propPath)} may not be ${prop.minLength - 1} long`,
          change: (p) => (at(p, path)[key] = "a".repeat(prop.minLength - 1)),
          rejectedAt: jsonPath(propPath),
        });
      }
    }
    collectCases(resolver, prop, propHome, value[key], propPath, cases);
  }
}

describe("dpi/sbd against Digdir's JSON Schemas", function () {
  const available = existsSync(join(SCHEMA_DIR, "dpi"));

  for (const type of DPI_MESSAGE_TYPES) {
    describe(type, () => {
      const cases: Case[] = [];
      if (available) {
        const byId = loadSchemas();
        const resolver = new Resolver(byId);
        const file = byId.get(`dpi/innbyggerpost_dpi_${type}_1_0.schema.json`);
        collectCases(resolver, file, file, samplePayload(type), [], cases);
      }

      it("yields checks from the schema", function () {
        if (!available) this.skip();
        expect(cases.filter((c) => c.rejectedAt).length).to.be.greaterThan(10);
      });

      for (const c of cases) {
        it(c.label, () => {
          const payload = samplePayload(type);
          c.change(payload);
          if (c.rejectedAt === undefined) {
            expect(() => parseStandardBusinessDocument(payload)).to.not.throw();
            return;
          }
          let error: unknown;
          try {
            parseStandardBusinessDocument(payload);
          } catch (err) {
            error = err;
          }
          if (c.error) {
            expect(error).to.be.instanceOf(c.error);
            return;
          }
          expect(error).to.be.instanceOf(SbdInvalidError);
          expect((error as SbdInvalidError).violations.map((v) => v.path)).to.include(c.rejectedAt);
        });
      }
    });
  }
});
