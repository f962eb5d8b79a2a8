import { BerError, isContext, isUniversal, type BerReader, type Element } from "../asn1/ber.js";
import { CmsMalformedError } from "./errors.js";

/**
 * Walking a CMS envelope read with the BER reader by position, as decryption does: fields that may be absent
 * are undefined, and each test says what the field must be.
 */

/** Runs `read`, reporting the reader's refusals as CmsMalformedError. */
export function berChecked<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof BerError) throw new CmsMalformedError(`not BER-encoded ASN.1: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Whether the field is there and of this universal type. */
export const isA = (e: Element | undefined, tagNumber: number): e is Element => e !== undefined && isUniversal(e, tagNumber);
/** Whether the field is there and context-specific with this tag number, in either form. */
export const isTagged = (e: Element | undefined, tagNumber: number): e is Element => e !== undefined && isContext(e, tagNumber);
/** The children of a field, none when it is absent or primitive. */
export const childrenOf = (r: BerReader, e: Element | undefined): Element[] => (e === undefined ? [] : r.children(e, "CMS"));
