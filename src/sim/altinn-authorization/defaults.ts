/**
 * The sandbox's delegable API resources: one per DPI scope a databehandler may be given. Altinn's real
 * resource identifiers for Digdir's DPI scheme are not published; the sandbox names its own.
 */
import { DPI_SEND_SCOPE } from "../../maskinporten/token.js";
import type { DelegationScheme } from "./state.js";

export const SANDBOX_DPI_RESOURCE = "dpi-ap-sandbox-digitalpostinnbygger-send";

export const SANDBOX_DELEGATION_SCHEMES: readonly DelegationScheme[] = [
  { resourceId: SANDBOX_DPI_RESOURCE, scopes: [DPI_SEND_SCOPE], schemeId: "5f0e8f2a-3c1d-4b7e-9a6f-2d8c1e4b7a90" },
];
