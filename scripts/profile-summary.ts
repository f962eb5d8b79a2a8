/**
 * Summarises V8 .cpuprofile files (as written by `node --cpu-prof`): self time by function and by file, and
 * inclusive time by function, top N each. Several files (or folders of them) are added together.
 *   npx tsx scripts/profile-summary.ts [--top 30] [--skip-seconds S] [--inclusive] [--callers REGEX] [--under REGEX] <file-or-dir>...
 * --skip-seconds drops the first S seconds of each profile (start-up, tsx transpilation) so the figures
 * describe steady-state work per letter. --callers REGEX adds where the time under the first frame matching
 * REGEX (e.g. "X509Certificate") comes from, by the chain of its five nearest callers. --under REGEX counts
 * only samples with a frame matching REGEX on the stack (e.g. "^signEnvelope "), to see what a function spends.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function parseArgs(argv: string[]) {
  let top = 30;
  let skipSeconds = 0;
  let inclusive = false;
  let callers: RegExp | undefined;
  let under: RegExp | undefined;
  const inputs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--top") top = Number(argv[++i]);
    else if (a === "--skip-seconds") skipSeconds = Number(argv[++i]);
    else if (a === "--inclusive") inclusive = true;
    else if (a === "--callers") callers = new RegExp(argv[++i] ?? "");
    else if (a === "--under") under = new RegExp(argv[++i] ?? "");
    else inputs.push(a);
  }
  if (!inputs.length || !Number.isFinite(top) || !Number.isFinite(skipSeconds)) {
    console.error("usage: profile-summary [--top N] [--skip-seconds S] [--inclusive] [--callers REGEX] [--under REGEX] <file.cpuprofile|dir>...");
    process.exit(2);
  }
  return { top, skipSeconds, inclusive, callers, under, inputs };
}

function profileFiles(inputs: string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p, { recursive: true, encoding: "utf8" })) if (f.endsWith(".cpuprofile")) out.push(path.join(p, f));
    } else out.push(p);
  }
  return out.sort();
}

/** Short, stable file label: node_modules/<pkg>/… or the path under the project, else the URL. */
function fileLabel(url: string): string {
  if (!url) return "(native)";
  const u = url.replace(/^file:\/\//, "");
  const nm = u.lastIndexOf("node_modules/");
  if (nm >= 0) return u.slice(nm);
  const root = path.resolve(import.meta.dirname, "..") + "/";
  return u.startsWith(root) ? u.slice(root.length) : u;
}

function fnLabel(f: CallFrame): string {
  const name = f.functionName || "(anonymous)";
  return f.url ? `${name} ${fileLabel(f.url)}:${f.lineNumber + 1}` : name;
}

/** Which npm package (or src area) a file belongs to. */
function packageLabel(url: string): string {
  const f = fileLabel(url);
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f);
  if (m) return m[1]!;
  if (f.startsWith("node:")) return "node:internal";
  if (f.startsWith("src/")) return f.split("/").slice(0, 2).join("/");
  return f;
}

interface Totals {
  self: Map<string, number>;
  byFile: Map<string, number>;
  byPackage: Map<string, number>;
  inclusive: Map<string, number>;
  /** Time under the first frame matching --callers, by the chain of its callers (innermost first). */
  callerChains: Map<string, number>;
  total: number;
}

function add(m: Map<string, number>, k: string, v: number) {
  m.set(k, (m.get(k) ?? 0) + v);
}

function accumulate(profile: CpuProfile, skipMicros: number, t: Totals, withInclusive: boolean, callers: RegExp | undefined, under: RegExp | undefined) {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    // The delta before sample i is time spent up to it; attribute the next delta to this sample instead, as
    // Chrome DevTools does.
    time += profile.timeDeltas[i] ?? 0;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (time - profile.startTime < skipMicros || dt <= 0) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const f = node.callFrame;
    if (f.functionName === "(idle)") continue;
    if (under) {
      let inside = false;
      for (let id: number | undefined = node.id; id !== undefined && !inside; id = parent.get(id)) inside = under.test(fnLabel(byId.get(id)!.callFrame));
      if (!inside) continue;
    }
    t.total += dt;
    add(t.self, fnLabel(f), dt);
    add(t.byFile, fileLabel(f.url) || f.functionName, dt);
    add(t.byPackage, f.url ? packageLabel(f.url) : f.functionName, dt);
    if (withInclusive) {
      const seen = new Set<string>();
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const label = fnLabel(byId.get(id)!.callFrame);
        if (seen.has(label)) continue;
        seen.add(label);
        add(t.inclusive, label, dt);
      }
    }
    if (callers) {
      const chain: string[] = [];
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const label = fnLabel(byId.get(id)!.callFrame);
        if (chain.length) chain.push(label);
        else if (callers.test(label)) chain.push(label);
        if (chain.length >= 6) break;
      }
      if (chain.length) add(t.callerChains, chain.join("\n      ← "), dt);
    }
  }
}

function table(title: string, m: Map<string, number>, total: number, top: number): string {
  const rows = [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = rows.map(([k, v]) => `${(v / 1000).toFixed(0).padStart(8)} ms ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
  return `${title}\n${lines.join("\n")}\n`;
}

const args = parseArgs(process.argv.slice(2));
const files = profileFiles(args.inputs);
const totals: Totals = { self: new Map(), byFile: new Map(), byPackage: new Map(), inclusive: new Map(), callerChains: new Map(), total: 0 };
for (const f of files) accumulate(JSON.parse(readFileSync(f, "utf8")) as CpuProfile, args.skipSeconds * 1e6, totals, args.inclusive, args.callers, args.under);
process.stdout.write(`${files.length} profile(s), ${(totals.total / 1e6).toFixed(2)} s of non-idle samples\n\n`);
process.stdout.write(table(`self time by function (top ${args.top})`, totals.self, totals.total, args.top) + "\n");
process.stdout.write(table(`self time by file (top ${args.top})`, totals.byFile, totals.total, args.top) + "\n");
process.stdout.write(table(`self time by package / src area (top ${args.top})`, totals.byPackage, totals.total, args.top) + "\n");
if (args.inclusive) process.stdout.write(table(`inclusive time by function (top ${args.top})`, totals.inclusive, totals.total, args.top) + "\n");
if (args.callers) process.stdout.write(table(`callers of ${args.callers} (top ${args.top})`, totals.callerChains, totals.total, args.top));
