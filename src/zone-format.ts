/**
 * Intl date-time formatters for time zones, made once per zone and kept: building one loads the zone's rules
 * and costs some 150 µs, using one a few. `formatsPerZone(options)` gives a lookup of its own for those options.
 * Zones come from configuration and code, not input; the bound only guards against a caller that varies them.
 */
export function formatsPerZone(options: Omit<Intl.DateTimeFormatOptions, "timeZone">, max = 64): (zone: string) => Intl.DateTimeFormat {
  const formats = new Map<string, Intl.DateTimeFormat>();
  return (zone) => {
    let format = formats.get(zone);
    if (!format) {
      format = new Intl.DateTimeFormat("en-US", { ...options, timeZone: zone });
      if (formats.size < max) formats.set(zone, format);
    }
    return format;
  };
}
