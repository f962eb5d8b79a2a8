import type { z } from "zod";
import { SbdUnreadableError, type Violation } from "./errors.js";

/** Running the SBD schemas: their issues as {@link SbdUnreadableError}, their output without undefined members. */

export function readWith<T extends z.ZodType>(schema: T, value: unknown, path: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new SbdUnreadableError(result.error.issues.map((issue) => toViolation(path, issue)));
  return pruneUndefined(result.data) as z.output<T>;
}

function toViolation(root: string, issue: z.core.$ZodIssue): Violation {
  return { path: propertyPath([root, ...issue.path]), message: issue.message };
}

/** Hibernate-style property path: `a.b[0].c`. */
export function propertyPath(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (s !== "") out += out === "" ? String(s) : `.${String(s)}`;
  }
  return out;
}

/** Drops keys whose value is undefined (absent and null fields come out of the schemas as undefined). */
export function pruneUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(pruneUndefined) as T;
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  // defineProperty, so that a "__proto__" member of free JSON (avtalt.content) stays a plain key.
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) Object.defineProperty(out, k, { value: pruneUndefined(v), enumerable: true, writable: true, configurable: true });
  }
  return out as T;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
