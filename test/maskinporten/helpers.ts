/** Shared set-up for the Maskinporten tests: a pinned clock and a simulator with its own throw-away key. */
import { generateKeyPairSync } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { startMaskinportenSim } from "../../src/sim/maskinporten/server.js";
import type { MaskinportenSim, MaskinportenSimOptions } from "../../src/sim/maskinporten/server.js";

/** Inside the validity of certs-example (2025..2045). */
export const NOW = new Date("2026-03-01T12:00:00Z");
export const NOW_S = NOW.getTime() / 1000;
export const SCOPE = "digitalpostinnbygger:send";

export function rsaKey(): KeyObject {
  return generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
}

/** A clock tests can move: `clock.set(seconds offset from NOW)`. */
export function movableClock(): { (): Date; set(offsetSeconds: number): void } {
  let offset = 0;
  const clock = () => new Date(NOW.getTime() + offset * 1000);
  clock.set = (seconds: number) => {
    offset = seconds;
  };
  return clock;
}

/** A simulator for direct minting: no trusted certificates, no clients. */
export async function mintingSim(overrides: Partial<MaskinportenSimOptions> = {}): Promise<MaskinportenSim> {
  return startMaskinportenSim({
    signingKey: rsaKey(),
    kid: "test-kid-1",
    trustAnchors: [],
    clients: [],
    clock: () => NOW,
    ...overrides,
  });
}

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}
