import type { AdresseInformasjon } from "./bodies.js";

/**
 * A NextMove print address (the integrasjonspunkt's PostAddress) as the DPI `adresseInformasjon`, the way the
 * integrasjonspunkt converts it (post-til-private ShipmentFactory): a Norwegian address keeps postnummer and
 * poststed and drops the country; a foreign one has no postnummer field in DPI, so "postnummer poststed" goes
 * into the first free address line (or is appended to the fourth) and the country is kept.
 */

export interface PostAddress {
  readonly navn: string;
  readonly adresselinje1: string;
  readonly adresselinje2?: string | undefined;
  readonly adresselinje3?: string | undefined;
  readonly adresselinje4?: string | undefined;
  readonly postnummer: string;
  readonly poststed: string;
  readonly land: string;
}

/** Whitespace only counts as nothing, as Spring's StringUtils.hasText has it. */
export function hasText(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== "";
}

/** No country, or Norway by its Norwegian or English name. */
export function isNorwegian(address: Pick<PostAddress, "land">): boolean {
  if (!hasText(address.land)) return true;
  const land = address.land.toLowerCase();
  return land === "norge" || land === "norway";
}

export function adresseInformasjon(address: PostAddress): AdresseInformasjon {
  const norwegian = isNorwegian(address);
  const lines: Array<string | undefined> = [address.adresselinje2, address.adresselinje3, address.adresselinje4];
  if (!norwegian) addPostalLine(lines, [address.postnummer, address.poststed].filter(hasText).join(" "));
  const [adresselinje2, adresselinje3, adresselinje4] = lines;
  // Written in the integrasjonspunkt's field order.
  return {
    navn: address.navn,
    adresselinje1: address.adresselinje1,
    ...(adresselinje2 !== undefined ? { adresselinje2 } : {}),
    ...(adresselinje3 !== undefined ? { adresselinje3 } : {}),
    ...(adresselinje4 !== undefined ? { adresselinje4 } : {}),
    ...(norwegian ? { postnummer: address.postnummer, poststed: address.poststed } : { land: address.land }),
  };
}

/** Lines 2 to 4: the postal line takes the first without text, or is appended to the last. */
function addPostalLine(lines: Array<string | undefined>, postal: string): void {
  if (postal === "") return;
  const free = lines.findIndex((line) => !hasText(line));
  if (free >= 0) lines[free] = postal;
  else lines[2] = `${lines[2]} ${postal}`;
}
