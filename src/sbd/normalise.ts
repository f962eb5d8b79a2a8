import { systemClock, type Clock } from "../clock.js";
import { DEFAULT_ZONE } from "./date-time.js";
import { HEADER_KEY, type StandardBusinessDocument } from "./model.js";
import { BUSINESS_MESSAGE_SCHEMAS, standardBusinessDocumentHeaderSchema } from "./schema.js";
import { readWith } from "./schema-read.js";
import { withParseClock } from "./parse-clock.js";

/**
 * Runs a document through the schemas again, so that members added or changed in code (defaults, a new
 * scope) stand in the IP's order and form. Idempotent on anything parseSbd returned.
 */
export function normaliseSbd<S extends StandardBusinessDocument>(sbd: S, clock: Clock = systemClock, zone: string = DEFAULT_ZONE): S {
  return withParseClock(clock, zone, () => ({
    type: sbd.type,
    header: readWith(standardBusinessDocumentHeaderSchema, sbd.header, HEADER_KEY),
    businessMessage: readWith(BUSINESS_MESSAGE_SCHEMAS[sbd.type], sbd.businessMessage, sbd.type),
  })) as S;
}
