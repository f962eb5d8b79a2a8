import { createHmac } from "node:crypto";

/**
 * Azure Service Bus shared access signatures as the integrasjonspunkt makes them (ServiceBusUtil.java):
 * `SharedAccessSignature sr=<resource>&sig=<HMAC-SHA256 of "<resource>\n<expiry>">&se=<expiry>&skn=<key name>`,
 * over the url-encoded URI of the resource the request goes to, with an expiry 20 s ahead. Pure.
 */

export interface SasKey {
  keyName: string;
  key: string;
}

export const SAS_LIFETIME_SECONDS = 20;

export function sasAuthorization(resourceUri: string, key: SasKey, now: Date, lifetimeSeconds = SAS_LIFETIME_SECONDS): string {
  const sr = encodeURIComponent(resourceUri);
  const se = Math.floor(now.getTime() / 1000) + lifetimeSeconds;
  const sig = createHmac("sha256", key.key).update(`${sr}\n${se}`, "utf8").digest("base64");
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${se}&skn=${encodeURIComponent(key.keyName)}`;
}
