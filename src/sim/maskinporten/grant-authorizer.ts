import { SYSTEMUSER_TYPE, type VerifiedGrant } from "./grant-verifier.js";
import { OAuthError } from "./oauth-error.js";
import type { Registry } from "./registry.js";

/** Who the token will name, decided from a verified grant and the registries. */
export interface TokenGrant {
  clientId: string;
  consumerOrgno: string;
  /** Set when the client acts for `consumerOrgno` by delegation. */
  supplierOrgno?: string;
  scopes: string[];
  resource?: string | string[];
  /** Carried into the access token, as Maskinporten does. */
  authorizationDetails?: Record<string, unknown>[];
}

/**
 * The client must be registered to the certificate's organisation and hold every requested scope; with
 * `consumer_org` naming another organisation, that organisation must also have delegated each scope to
 * the client's organisation.
 */
export async function authorizeGrant(grant: VerifiedGrant, registry: Registry): Promise<TokenGrant> {
  const client = registry.client(grant.clientId);
  if (!client) throw new OAuthError("invalid_client", `Unknown client ${JSON.stringify(grant.clientId)}`);
  if (client.orgno !== grant.certificateOrgno) {
    throw new OAuthError(
      "invalid_client",
      `The certificate belongs to ${grant.certificateOrgno}, but client ${JSON.stringify(client.clientId)} is registered to ${client.orgno}`,
    );
  }
  const unregistered = grant.scopes.filter((scope) => !client.scopes.includes(scope));
  if (unregistered.length > 0) {
    throw new OAuthError("invalid_scope", `Client ${JSON.stringify(client.clientId)} is not registered for ${unregistered.join(" ")}`);
  }

  // A system user is its organisation's own: this client's (the simulator's stand-in for Altinn's system register).
  for (const d of grant.authorizationDetails ?? []) {
    const id = (d.systemuser_org as { ID?: string } | undefined)?.ID;
    if (d.type === SYSTEMUSER_TYPE && id !== `0192:${client.orgno}`) {
      throw new OAuthError("invalid_authorization_details", `Client ${JSON.stringify(client.clientId)} has no system user for ${id}`);
    }
  }
  const base = {
    clientId: client.clientId,
    scopes: grant.scopes,
    ...(grant.resource !== undefined ? { resource: grant.resource } : {}),
    ...(grant.authorizationDetails !== undefined ? { authorizationDetails: grant.authorizationDetails } : {}),
  };
  const consumer = grant.consumerOrg;
  if (consumer === undefined || consumer === client.orgno) return { ...base, consumerOrgno: client.orgno };

  const undelegated: string[] = [];
  for (const scope of grant.scopes) if (!(await registry.isDelegated(consumer, client.orgno, scope))) undelegated.push(scope);
  if (undelegated.length > 0) {
    throw new OAuthError(
      "invalid_scope",
      `Consumer ${consumer} has not delegated ${undelegated.join(" ")} to ${client.orgno}`,
    );
  }
  return { ...base, consumerOrgno: consumer, supplierOrgno: client.orgno };
}
