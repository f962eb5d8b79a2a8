/** Java's and Spring's string rules where the IP's behaviour depends on them. */

/** Spring's StringUtils.hasText: some character that Java does not call whitespace. */
export function hasText(s: string | undefined): s is string {
  return s !== undefined && /[^\t\n\v\f\r\x1c-\x1f \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]/.test(s);
}

/** Java's String.split with a literal separator: trailing empty strings are dropped, "" gives [""]. */
export function javaSplit(s: string, separator: string): string[] {
  if (!s.includes(separator)) return [s];
  const parts = s.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}
