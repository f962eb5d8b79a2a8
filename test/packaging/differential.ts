import { expect } from "chai";
import { DomainError } from "../../src/errors.js";
import type { Mutant, Prng } from "../dpi/der-mutations.js";

/**
 * Holding a reading of CMS with our BER reader beside the asn1js reading it replaced: outcomes compared as
 * values or error codes, and the kinds of difference allowed, each a way asn1js was lax or broken. Used by the
 * differential tests of decryption and of the CAdES check.
 */

export type Outcome = { readonly ok: true; readonly [field: string]: unknown } | { readonly ok: false; readonly code: string; readonly message: string };

export const NOT_A_DOMAIN_ERROR = "not-a-domain-error";

/** What `run` gives, described by `describe`, or the code of the DomainError it throws. */
export function outcome<T>(run: () => T, describe: (value: T) => Record<string, unknown>): Outcome {
  let value: T;
  try {
    value = run();
  } catch (err) {
    if (err instanceof DomainError) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: NOT_A_DOMAIN_ERROR, message: String((err as Error).stack ?? err) };
  }
  return { ok: true, ...describe(value) };
}

/** The outcome without the error's message, which may differ. */
export const strip = (o: Outcome): Outcome | { ok: false; code: string } => (o.ok ? o : { ok: false, code: o.code });
export const same = (a: Outcome, b: Outcome): boolean => JSON.stringify(strip(a)) === JSON.stringify(strip(b));

export const PLAIN_ERROR = "a plain error escaped the asn1js reading (asn1js' own on some input, e.g. a UTCTime without seconds, or a TypeError where an OID's arcs were taken for children); ours reads or refuses it";
export const OVERRUN = "a child running past its parent's end (asn1js reads on, and takes up after the child)";
export const EOC = "end-of-contents octets with a non-zero second octet (asn1js takes any tag-0 element for them, and lets the input end before the outer ones)";
export const ENUMERATED = "an ENUMERATED where an INTEGER belongs (asn1js' Enumerated is a subclass of its Integer, so it passed), found by turning it back";
export const X690 =
  "BER that X.690 forbids and asn1js let pass (padded or empty INTEGERs and OIDs, NULL or BOOLEAN of the wrong length, malformed BIT STRINGs and times, constructed strings not made of OCTET STRINGs, needless high-tag or long length forms, end-of-contents octets inside a definite length)";

/* Our reader's refusals, after the "not BER-encoded ASN.1: <where>: " of the error message. */
const BER_REFUSALS: readonly { readonly kind: string; readonly refusal: RegExp }[] = [
  { kind: OVERRUN, refusal: /^runs \d+ bytes past its end$/ },
  { kind: EOC, refusal: /^(an element runs \d+ bytes past its end|no end-of-contents octets before its end|truncated before a length|truncated in a length|malformed tag)$/ },
  {
    kind: X690,
    refusal:
      /^(an INTEGER without content|an INTEGER padded with a needless octet|a NULL with content|a BOOLEAN of \d+ octets|an empty (OBJECT IDENTIFIER|RELATIVE-OID)|an arc padded with a zero octet in an (OBJECT IDENTIFIER|RELATIVE-OID)|the last arc cut off in an (OBJECT IDENTIFIER|RELATIVE-OID)|a BIT STRING [\w -]+|a primitive [\w -]+|a constructed [\w -]+ holds [\w -[\]]+, not OCTET STRING|".*" is not a (UTCTime|GeneralizedTime)|a (BMPString|UniversalString) of \d+ octets|tag number \d+ in high-tag-number form|a tag number padded with a zero octet|a length of \d+ octets|end-of-contents octets where an element belongs)$/,
  },
];

/** The kind of a difference between our outcome and asn1js', judged from the outcomes alone; undefined if none fits. */
export function differenceKind(malformedCode: string, ours: Outcome, theirs: Outcome): string | undefined {
  if (!theirs.ok && theirs.code === NOT_A_DOMAIN_ERROR) return PLAIN_ERROR;
  if (ours.ok || ours.code !== malformedCode) return undefined;
  const refusal = /not BER-encoded ASN\.1: [^:]+: (.*)$/.exec(ours.message)?.[1];
  return refusal === undefined ? undefined : BER_REFUSALS.find((r) => r.refusal.test(refusal))?.kind;
}

/** Whether the two agree once an INTEGER tag that a change made ENUMERATED is an INTEGER tag again. */
export function enumeratedForInteger(bytes: Uint8Array, original: Uint8Array, agree: (bytes: Uint8Array) => boolean): boolean {
  if (bytes.byteLength !== original.byteLength) return false;
  for (let i = 0; i < bytes.byteLength; i++) {
    if (bytes[i] !== 0x0a || original[i] !== 0x02) continue;
    const restored = Buffer.from(bytes);
    restored[i] = 0x02;
    if (agree(restored)) return true;
  }
  return false;
}

/**
 * Outcomes that agree, by result; differences, by kind. A difference of no known kind fails the test. `C` is what
 * a reading needs besides the bytes (the decryption key; nothing for a signature).
 */
export class Tally<C = void> {
  readonly same = new Map<string, number>();
  readonly differences = new Map<string, number>();

  constructor(
    private readonly malformedCode: string,
    private readonly ours: (bytes: Uint8Array, context: C) => Outcome,
    private readonly theirs: (bytes: Uint8Array, context: C) => Outcome,
  ) {}

  /** `original`: the bytes `bytes` were made from by changing some in place, if they were. */
  compare(what: string, bytes: Uint8Array, context: C, original?: Uint8Array): void {
    const a = this.ours(bytes, context);
    const b = this.theirs(bytes, context);
    if (!a.ok) expect(a.code, `${what}: ${a.message}`).to.not.equal(NOT_A_DOMAIN_ERROR);
    if (same(a, b)) {
      const key = a.ok ? "ok" : a.code;
      this.same.set(key, (this.same.get(key) ?? 0) + 1);
      return;
    }
    const kind = this.kindOf(a, b, bytes, context, original);
    if (kind === undefined) expect.fail(`${what}: ours ${JSON.stringify(a)}, asn1js's ${JSON.stringify(b)}`);
    this.differences.set(kind, (this.differences.get(kind) ?? 0) + 1);
  }

  kindOf(a: Outcome, b: Outcome, bytes: Uint8Array, context: C, original?: Uint8Array): string | undefined {
    const kind = differenceKind(this.malformedCode, a, b);
    if (kind !== undefined || original === undefined) return kind;
    const agree = (restored: Uint8Array) => same(this.ours(restored, context), this.theirs(restored, context));
    return enumeratedForInteger(bytes, original, agree) ? ENUMERATED : undefined;
  }
}

/** A change at the byte level: der-mutations changes the element tree, which it cannot parse from BER. */
export function byteMutant(bytes: Uint8Array, rng: Prng): Mutant {
  const out = Buffer.from(bytes);
  switch (rng.below(3)) {
    case 0:
      out[rng.below(out.length)]! ^= 1 << rng.below(8);
      return { kind: "flip", bytes: out };
    case 1:
      out[rng.below(out.length)] = rng.below(256);
      return { kind: "byte", bytes: out };
    default:
      return { kind: "truncate", bytes: out.subarray(0, rng.below(out.length)) };
  }
}
