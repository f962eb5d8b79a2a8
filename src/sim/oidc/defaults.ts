import type { OidcClient, OidcUser } from "./state.js";

/**
 * The sandbox's OIDC provider: the console's client and three users, one per outcome of the console's role
 * mapping (groups dpi-ap-operators → operator, dpi-ap-viewers → viewer, anything else → refused). The console's
 * redirect URI is registered once the access point listens (sandbox-process.ts).
 */
export const OIDC_SANDBOX = {
  providerName: "OIDC simulator",
  client: { clientId: "dpi-ap-console", clientSecret: "sandbox-oidc-client-secret" },
  roleClaim: "groups",
  operatorGroup: "dpi-ap-operators",
  viewerGroup: "dpi-ap-viewers",
  users: {
    operator: { username: "oda.operator", password: "sandbox operator", name: "Oda Operatør" },
    viewer: { username: "vilde.viewer", password: "sandbox viewer", name: "Vilde Viewer" },
    noRole: { username: "nils.norole", password: "sandbox no role", name: "Nils Norole" },
  },
} as const;

export function sandboxOidcUsers(): OidcUser[] {
  const u = OIDC_SANDBOX.users;
  return [
    { ...u.operator, groups: [OIDC_SANDBOX.operatorGroup, "staff"] },
    { ...u.viewer, groups: [OIDC_SANDBOX.viewerGroup, "staff"] },
    { ...u.noRole, groups: ["staff"] },
  ];
}

export function sandboxOidcClients(redirectUris: readonly string[] = []): OidcClient[] {
  return [{ ...OIDC_SANDBOX.client, redirectUris: [...redirectUris] }];
}
