/**
 * The NextMove API's `/api/capabilities/{receiver}` document from Service Registry records, as the
 * integrasjonspunkt builds it ([IP] `nextmove/v2/CapabilitiesFactory.java`, `CapabilityFactory.java`,
 * `PostalAddressFactory.java`, domain `capabilities/*.java`): one capability per record, in the registry's
 * order; addresses only for DPI; written by a Jackson that leaves null values out (`JacksonConfig`:
 * `Include.NON_NULL`), so an absent key here is a null there.
 */
import { MESSAGE_TYPES, type MessageType } from "../../sbd/message-types.js";
import type { PostAddress, ServiceIdentifier, ServiceRecord } from "./records.js";

export type { MessageType };

export interface PostalAddressJson {
  name?: string;
  street?: string;
  postalCode?: string;
  postalArea?: string;
  country?: string;
}

export interface DocumentTypeJson {
  /** The message type the standard ends with (`::<type>`); absent for a standard of no known type. */
  type?: string;
  standard: string;
}

export interface CapabilityJson {
  process: string;
  serviceIdentifier: ServiceIdentifier;
  postAddress?: PostalAddressJson;
  returnAddress?: PostalAddressJson;
  documentTypes: DocumentTypeJson[];
  digitalPostAddress?: { supplier?: string; address?: string };
}

export interface CapabilitiesJson {
  capabilities: CapabilityJson[];
}


/**
 * `MessageType.valueOfDocumentType`: the message type a document standard names, if any: the first, in the
 * integrasjonspunkt's enum order, whose `::<type>` the standard ends with.
 */
export function messageTypeOfStandard(standard: string): MessageType | undefined {
  if (standard === "") return undefined;
  return MESSAGE_TYPES.find((t) => standard.endsWith(`::${t}`));
}

export function capabilitiesOf(records: readonly ServiceRecord[]): CapabilitiesJson {
  return { capabilities: records.map(capabilityOf) };
}

export function capabilityOf(record: ServiceRecord): CapabilityJson {
  const capability: CapabilityJson = {
    process: record.process,
    serviceIdentifier: record.serviceIdentifier,
    documentTypes: record.documentTypes.map((standard) => {
      const type = messageTypeOfStandard(standard);
      return type === undefined ? { standard } : { type, standard };
    }),
  };
  if (record.serviceIdentifier === "DPI") {
    const post = postalAddress(record.postAddress);
    const ret = postalAddress(record.returnAddress);
    if (post) capability.postAddress = post;
    if (ret) capability.returnAddress = ret;
    capability.digitalPostAddress = withoutNulls({ supplier: record.orgnrPostkasse, address: record.postkasseAdresse });
  }
  return capability;
}

function postalAddress(address: PostAddress | null): PostalAddressJson | undefined {
  if (address === null) return undefined;
  const { name, street, postalCode, postalArea, country } = address;
  return withoutNulls({ name, street, postalCode, postalArea, country });
}

function withoutNulls<T extends Record<string, string | null>>(value: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null)) as { [K in keyof T]?: string };
}
