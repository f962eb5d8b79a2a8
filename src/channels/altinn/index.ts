/** What the Altinn 3 channels (DPV, DPO) share: tokens from Altinn's Maskinporten exchange. */
export { AltinnTokenExchangeError, createAltinnTokens } from "./token-exchange.js";
export type { AltinnTokenExchangeOptions, AltinnTokens } from "./token-exchange.js";
