/**
 * The file DPO puts on the broker (spec/eformidling.md §3; [IP] a3/dpo/payload/AltinnPackage.java): a zip with
 * `sbd.json` (the SBD as the integrasjonspunkt writes it) and, for messages with files, `asic.zip` (the
 * CMS-encrypted ASiC-E). Reading refuses what is not such a zip with DpoPackageError.
 */
import { readZip, writeZip } from "../../dpi/zip.js";
import { DomainError } from "../../errors.js";
import { parseSbdJson, serialiseSbd, type StandardBusinessDocument } from "../../sbd/index.js";

export const DPO_FILE_NAME = "sbd.zip";
const SBD_ENTRY = "sbd.json";
const ASIC_ENTRY = "asic.zip";

export class DpoPackageError extends DomainError {
  readonly code = "dpo-package-unreadable";
  readonly kind = "invalid";
}

export interface DpoPackage {
  sbd: StandardBusinessDocument;
  asic?: Uint8Array | undefined;
}

export function writeDpoPackage(sbd: StandardBusinessDocument, asic?: Uint8Array): Uint8Array {
  return writeZip([{ name: SBD_ENTRY, data: Buffer.from(serialiseSbd(sbd), "utf8") }, ...(asic ? [{ name: ASIC_ENTRY, data: asic, method: "store" as const }] : [])]);
}

export function readDpoPackage(bytes: Uint8Array, maxBytes: number): DpoPackage {
  let entries;
  try {
    entries = readZip(bytes, { maxEntries: 10, maxTotalSize: maxBytes }).entries;
  } catch (e) {
    throw new DpoPackageError(`the broker file is not a readable zip: ${(e as Error).message}`, { cause: e });
  }
  const sbdEntry = entries.find((e) => e.name === SBD_ENTRY);
  if (!sbdEntry) throw new DpoPackageError(`the broker file has no ${SBD_ENTRY}`);
  let sbd: StandardBusinessDocument;
  try {
    sbd = parseSbdJson(Buffer.from(sbdEntry.data).toString("utf8"));
  } catch (e) {
    throw new DpoPackageError(`${SBD_ENTRY} cannot be read: ${(e as Error).message}`, { cause: e });
  }
  const asic = entries.find((e) => e.name === ASIC_ENTRY)?.data;
  return { sbd, ...(asic ? { asic } : {}) };
}
