/**
 * Access to the third-party DPI vectors in ../shared/vectors/dpi (Digdir's public examples). They are never
 * copied into the project; a test that needs a missing vector skips.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const DPI_VECTORS_DIR = fileURLToPath(new URL("../../../shared/vectors/dpi/", import.meta.url));

export function vectorPath(name: string): string {
  return join(DPI_VECTORS_DIR, name);
}

/** The vector's bytes, or a skip of the running test when it is absent. */
export function readVector(ctx: Mocha.Context, name: string): Buffer {
  const path = vectorPath(name);
  if (!existsSync(path)) ctx.skip();
  return readFileSync(path);
}

export function readJsonVector(ctx: Mocha.Context, name: string): unknown {
  return JSON.parse(readVector(ctx, name).toString("utf8"));
}

/** The payload of a compact JWS, decoded without verifying anything. */
export function jwsPayload(jws: string): unknown {
  const segments = jws.trim().split(".");
  if (segments.length !== 3 || segments[1] === undefined) throw new Error("not a compact JWS");
  return JSON.parse(Buffer.from(segments[1], "base64url").toString("utf8"));
}
