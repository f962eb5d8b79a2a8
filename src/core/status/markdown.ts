/**
 * The status tables as Markdown, for the README section "Status models". Generated from the code so the two
 * cannot drift (test/core/status-readme.test.ts compares them; scripts/status-models-readme.ts rewrites it).
 */
import { LEGACY_STATUS_NAMES } from "./legacy.js";
import { STATUS_MODELS } from "./models/index.js";
import { SOURCES, type SourceKey } from "./sources.js";
import { CHANNELS, type ChannelStatusModel, type StatusDefinition } from "./vocabulary.js";

export const README_BEGIN = "<!-- status-models:begin (generated from src/core/status by scripts/status-models-readme.ts; do not edit by hand) -->";
export const README_END = "<!-- status-models:end -->";

const yes = (b: boolean) => (b ? "yes" : "");
const list = (xs: readonly string[]) => xs.join(", ");

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function seedCell(d: StatusDefinition): string {
  const rows = list(d.seedRows);
  return d.seedName ? `${rows} (as ${d.seedName})` : rows;
}

function channelSection(m: ChannelStatusModel): string[] {
  const polling = m.polling
    ? `Status polling: ${m.polling.direction} conversations from ${m.polling.startsAt} until a terminal status (${list(m.polling.sources)}).`
    : "Status polling: none.";
  const out = [`### ${m.channel}`, "", `${m.summary} ${polling}`, ""];
  out.push(row(["Status", "Direction", "Terminal", "Error", "Ends expiry", "Accepted after it", "eFormidling", "Seed row", "Meaning", "Sources"]));
  out.push(row(Array.from({ length: 10 }, () => "---")));
  for (const d of m.statuses) {
    out.push(
      row([
        d.status,
        d.direction,
        yes(d.terminal),
        yes(d.error),
        yes(d.endsExpiry),
        list(d.mayFollow),
        d.eformidling === d.status ? "=" : d.eformidling,
        seedCell(d),
        d.meaning,
        list(d.sources),
      ]),
    );
  }
  out.push("");
  return out;
}

export function renderStatusModelsMarkdown(): string {
  const out: string[] = [README_BEGIN, ""];
  for (const c of CHANNELS) out.push(...channelSection(STATUS_MODELS[c]));
  out.push("### Older names", "", row(["Older name", "Status", "Channels", "Why", "Sources"]), row(["---", "---", "---", "---", "---"]));
  for (const l of LEGACY_STATUS_NAMES) out.push(row([l.name, l.status, list(l.channels), l.why, list(l.sources)]));
  out.push("", "### Sources", "");
  for (const [key, text] of Object.entries(SOURCES) as [SourceKey, string][]) out.push(`- \`${key}\`: ${text}`);
  out.push("", README_END);
  return out.join("\n");
}

/** The generated part of a README (markers included), or undefined when the markers are missing. */
export function extractStatusModelsSection(readme: string): string | undefined {
  const start = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start, end + README_END.length);
}
