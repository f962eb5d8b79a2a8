import type { ProcessFigures } from "./report.js";
import { perLetter } from "./stats.js";

/**
 * A corner of several processes gets a figure of its own, placed before theirs: CPU summed (unknown when any
 * process's is), peak RSS the largest process's and, apart, the sum. Other entries pass unchanged. Pure.
 */
export function aggregateCorners(list: readonly ProcessFigures[], letters: number, roleOf: (corner: string) => string): ProcessFigures[] {
  const out: ProcessFigures[] = [];
  const done = new Set<string>();
  for (const f of list) {
    if (f.instanceOf === undefined) {
      out.push(f);
      continue;
    }
    if (done.has(f.instanceOf)) continue;
    done.add(f.instanceOf);
    const parts = list.filter((x) => x.instanceOf === f.instanceOf);
    const cpus = parts.map((x) => x.cpuSeconds);
    const rss = parts.map((x) => x.peakRssBytes);
    const cpu = cpus.every((c) => c !== undefined) ? cpus.reduce((a, b) => a + b, 0) : undefined;
    const rssKnown = rss.every((r) => r !== undefined);
    out.push({
      name: f.instanceOf,
      role: roleOf(f.instanceOf),
      instances: parts.length,
      ...(cpu !== undefined ? { cpuSeconds: cpu } : {}),
      ...(perLetter(cpu, letters) !== undefined ? { cpuSecondsPerLetter: perLetter(cpu, letters) } : {}),
      ...(rssKnown ? { peakRssBytes: Math.max(...rss), peakRssTotalBytes: rss.reduce((a, b) => a + b, 0) } : {}),
    });
    out.push(...parts);
  }
  return out;
}
