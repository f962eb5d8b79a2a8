/**
 * Reproducible damage to DER-ish bytes (a CMS skeleton), for differential tests: raw bit flips, byte changes
 * and truncations, and changes made on the element tree and encoded again with consistent lengths (tags,
 * children dropped, repeated, swapped or inserted, contents grown or shrunk), so that most mutants get past the
 * length checks to the structure behind them. Indefinite-length elements are kept as they are, whole.
 */

/** A small seeded generator (xorshift32): the same seed gives the same mutations on every run. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  next(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    return x;
  }

  below(n: number): number {
    return this.next() % n;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

/** An element: identifier octets and either children or content; `raw` holds an indefinite-length one whole. */
export interface Node {
  identifier: Uint8Array;
  children?: Node[];
  content?: Uint8Array;
  raw?: Uint8Array;
  lengthForm: "short" | "long" | "indefinite";
}

/** The element tree of DER-ish bytes (definite lengths, except inside `raw` elements). */
export function parseTree(bytes: Uint8Array): Node {
  const { node, end } = parseAt(bytes, 0, bytes.length);
  if (end !== bytes.length) throw new Error("bytes after the root element");
  return node;
}

function parseAt(bytes: Uint8Array, start: number, limit: number): { node: Node; end: number } {
  let i = start + 1;
  if ((bytes[start]! & 0x1f) === 0x1f) while (bytes[i++]! & 0x80);
  const identifier = bytes.subarray(start, i);
  const constructed = (bytes[start]! & 0x20) !== 0;
  const first = bytes[i++]!;
  if (first === 0x80) {
    let open = 1;
    let p = i;
    while (open > 0) {
      if (bytes[p] === 0 && bytes[p + 1] === 0) {
        open--;
        p += 2;
      } else {
        const inner = parseAt(bytes, p, limit);
        p = inner.end;
      }
    }
    return { node: { identifier, raw: bytes.subarray(start, p), lengthForm: "indefinite" }, end: p };
  }
  let length = first;
  if (first > 0x80) {
    length = 0;
    for (let k = 0; k < (first & 0x7f); k++) length = length * 256 + bytes[i++]!;
  }
  const end = i + length;
  if (end > limit) throw new Error(`element at ${start} runs past its parent`);
  if (!constructed) return { node: { identifier, content: bytes.subarray(i, end), lengthForm: "short" }, end };
  const children: Node[] = [];
  for (let p = i; p < end; ) {
    const child = parseAt(bytes, p, end);
    children.push(child.node);
    p = child.end;
  }
  return { node: { identifier, children, lengthForm: "short" }, end };
}

export function encodeTree(node: Node): Uint8Array {
  if (node.raw) return node.raw;
  const body = node.children ? Buffer.concat(node.children.map(encodeTree)) : Buffer.from(node.content!);
  if (node.lengthForm === "indefinite") return Buffer.concat([node.identifier, Buffer.from([0x80]), body, Buffer.from([0, 0])]);
  return Buffer.concat([node.identifier, lengthOctets(body.length, node.lengthForm === "long"), body]);
}

/* Long form is also used where the short form would do (BER allows it, DER does not). */
function lengthOctets(length: number, long: boolean): Buffer {
  if (length < 0x80 && !long) return Buffer.from([length]);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  if (octets.length === 0) octets.push(0);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

/** Every element of the tree, the root first (`raw` ones included, their insides not). */
export function allNodes(node: Node, out: Node[] = []): Node[] {
  out.push(node);
  for (const child of node.children ?? []) allNodes(child, out);
  return out;
}

function clone(node: Node): Node {
  return { ...node, children: node.children?.map(clone) };
}

/** The same tree, one element encoded in another valid BER length form (both readers must read it alike). */
export function reencoded(tree: Node, index: number, form: "long" | "indefinite"): Uint8Array {
  const copy = clone(tree);
  const node = allNodes(copy)[index]!;
  node.lengthForm = form;
  return encodeTree(copy);
}

const TAGS = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x10, 0x11, 0x13, 0x17, 0x18, 0x24, 0x26, 0x30, 0x31, 0x80, 0x81, 0x82, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4];
const INSERTS = ["020100", "0500", "0403010203", "3000", "a000", "3100", "0101ff", "0603550403", "a1023000"];

export const MUTATION_KINDS = ["flip", "byte", "truncate", "retag", "drop", "repeat", "swap", "insert", "resize", "length"] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

export interface Mutant {
  readonly kind: MutationKind;
  readonly bytes: Uint8Array;
}

/** One random change to `bytes` (a tree from parseTree of the same bytes). */
export function mutate(bytes: Uint8Array, tree: Node, rng: Prng): Mutant {
  const kind = rng.pick(MUTATION_KINDS);
  const raw = Buffer.from(bytes);
  switch (kind) {
    case "flip":
      raw[rng.below(raw.length)]! ^= 1 << rng.below(8);
      return { kind, bytes: raw };
    case "byte":
      raw[rng.below(raw.length)] = rng.below(256);
      return { kind, bytes: raw };
    case "truncate":
      return { kind, bytes: raw.subarray(0, rng.below(raw.length)) };
    case "length": {
      // An identifier or length octet off by one, nothing around it adjusted.
      const at = headerOctets(tree);
      const i = rng.pick(at);
      raw[i] = (raw[i]! + (rng.below(2) ? 1 : 255)) & 0xff;
      return { kind, bytes: raw };
    }
  }
  const copy = clone(tree);
  const nodes = allNodes(copy).filter((n) => !n.raw);
  const parents = nodes.filter((n) => n.children);
  const parent = rng.pick(parents);
  const children = parent.children!;
  switch (kind) {
    case "retag":
      rng.pick(nodes).identifier = Buffer.from([rng.pick(TAGS)]);
      break;
    case "drop":
      if (children.length > 0) children.splice(rng.below(children.length), 1);
      break;
    case "repeat":
      if (children.length > 0) {
        const i = rng.below(children.length);
        children.splice(i, 0, clone(children[i]!));
      }
      break;
    case "swap":
      if (children.length > 1) {
        const i = rng.below(children.length - 1);
        [children[i], children[i + 1]] = [children[i + 1]!, children[i]!];
      }
      break;
    case "insert":
      children.splice(rng.below(children.length + 1), 0, parseTree(Buffer.from(rng.pick(INSERTS), "hex")));
      break;
    case "resize": {
      const leaf = rng.pick(nodes.filter((n) => n.content));
      const content = leaf.content!;
      leaf.content = rng.below(2) ? Buffer.concat([content, Buffer.from([rng.below(256)])]) : content.subarray(0, Math.max(0, content.length - 1 - rng.below(2)));
      break;
    }
  }
  return { kind, bytes: encodeTree(copy) };
}

/* Where the identifier and first length octet of each definite element are, in encoding order. */
function headerOctets(tree: Node): number[] {
  const at: number[] = [];
  let position = 0;
  const walk = (node: Node) => {
    if (node.raw) {
      position += node.raw.length;
      return;
    }
    at.push(position, position + node.identifier.length);
    const encoded = encodeTree(node);
    const bodyLength = node.children ? node.children.reduce((n, c) => n + encodeTree(c).length, 0) : node.content!.length;
    const headerLength = encoded.length - bodyLength - (node.lengthForm === "indefinite" ? 2 : 0);
    position += headerLength;
    if (node.children) node.children.forEach(walk);
    else position += bodyLength;
    if (node.lengthForm === "indefinite") position += 2;
  };
  walk(tree);
  return at;
}
