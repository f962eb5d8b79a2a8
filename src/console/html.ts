/**
 * HTML built from tagged templates that escape every interpolated value. A page is only ever made of `html`
 * templates: a value is text unless it is itself the result of `html` (or `trusted`, for the few constants that
 * are markup), so a message title, a raw receipt or an error message can never become markup, attribute or
 * script. Values inside attribute quotes are safe too, because quotes are escaped.
 */

export class Html {
  /** Markup, already escaped: only `html` and `trusted` make one. */
  private constructor(readonly markup: string) {}

  toString(): string {
    return this.markup;
  }

  /** @internal the module's own constructor. */
  static of(markup: string): Html {
    return new Html(markup);
  }
}

/** A value a template accepts: text (escaped), markup, a number, nothing, or a list of these. */
export type HtmlValue = Html | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

/** `text` with every character that means something in HTML text or a quoted attribute escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(v: HtmlValue): string {
  if (v instanceof Html) return v.markup;
  if (v === null || v === undefined || v === false || v === true) return "";
  if (Array.isArray(v)) return v.map(render).join("");
  return escapeHtml(String(v));
}

/** The template with each interpolation escaped (see HtmlValue); `false`, `true`, null and undefined render as nothing. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return Html.of(out);
}

/** Markup written in this code (a constant), never anything read from a request or the store. */
export function trusted(markup: string): Html {
  return Html.of(markup);
}

/** A console link: `path` under /console with its query (empty values left out), every part URL-encoded. */
export function consoleHref(path: string, query: Record<string, string | number | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return `/console${path}${s ? `?${s}` : ""}`;
}
