import { z } from "zod";
import type { Clock } from "../clock.js";
import { OidcError } from "./oidc-errors.js";
import { JwksCache } from "./oidc-jwks.js";

/**
 * The OpenID Connect provider as the console talks to it, over HTTP: its discovery document
 * (`<issuer>/.well-known/openid-configuration`, fetched on first use and kept for an hour; a failed fetch is
 * not kept), its signing keys (oidc-jwks.ts) and its token endpoint. The document must name exactly the
 * configured issuer (OpenID Connect Discovery §4.3), or nothing it says is used.
 */

const metadataSchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.string().url(),
  token_endpoint: z.string().url(),
  jwks_uri: z.string().url(),
  response_types_supported: z.array(z.string()).optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
});

export interface ProviderMetadata {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  /** How this client authenticates at the token endpoint: Basic unless the provider offers only the form's fields. */
  clientAuth: "client_secret_basic" | "client_secret_post";
}

const METADATA_TTL_MS = 60 * 60_000;
const TIMEOUT_MS = 5_000;
const MAX_ANSWER_BYTES = 256 * 1024;

export class OidcProvider {
  readonly jwks: JwksCache;
  private kept: { metadata: ProviderMetadata; fetchedAt: number } | undefined;
  private loading: Promise<ProviderMetadata> | undefined;

  constructor(
    readonly issuer: string,
    private readonly clock: Clock,
  ) {
    this.jwks = new JwksCache(async () => (await getJson(new URL((await this.metadata()).jwksUri), "JWKS")).body, clock);
  }

  async metadata(): Promise<ProviderMetadata> {
    if (this.kept && this.clock().getTime() - this.kept.fetchedAt < METADATA_TTL_MS) return this.kept.metadata;
    this.loading ??= this.discover().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async discover(): Promise<ProviderMetadata> {
    const url = new URL(`${this.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`);
    const { body } = await getJson(url, "discovery document");
    const parsed = metadataSchema.safeParse(body);
    if (!parsed.success) throw new OidcError("oidc-discovery-invalid", `the provider's discovery document is not valid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const m = parsed.data;
    if (m.issuer !== this.issuer) throw new OidcError("oidc-discovery-invalid", `the discovery document names issuer ${JSON.stringify(m.issuer)}, not ${JSON.stringify(this.issuer)}`);
    if (m.response_types_supported && !m.response_types_supported.includes("code")) throw new OidcError("oidc-discovery-invalid", "the provider does not offer the authorization code flow");
    // OpenID Connect Discovery: absent, client_secret_basic is the default.
    const methods = m.token_endpoint_auth_methods_supported ?? ["client_secret_basic"];
    const clientAuth = methods.includes("client_secret_basic") ? "client_secret_basic" : methods.includes("client_secret_post") ? "client_secret_post" : undefined;
    if (!clientAuth) throw new OidcError("oidc-discovery-invalid", `the token endpoint offers neither client_secret_basic nor client_secret_post (${methods.join(", ")})`);
    const metadata: ProviderMetadata = { issuer: m.issuer, authorizationEndpoint: m.authorization_endpoint, tokenEndpoint: m.token_endpoint, jwksUri: m.jwks_uri, clientAuth };
    this.kept = { metadata, fetchedAt: this.clock().getTime() };
    return metadata;
  }
}

/** A JSON answer (any status) from the provider; a network failure or a body that is not JSON is the provider's fault. */
export async function providerCall(url: URL, init: RequestInit, what: string): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: "error", signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new OidcError("oidc-provider-unavailable", `the provider's ${what} could not be reached (${url.origin}): ${(err as Error).message}`, { cause: err });
  }
  const text = await res.text();
  if (text.length > MAX_ANSWER_BYTES) throw new OidcError("oidc-provider-unavailable", `the provider's ${what} answered more than ${MAX_ANSWER_BYTES} bytes`);
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    throw new OidcError("oidc-provider-unavailable", `the provider's ${what} answered ${res.status} without JSON`);
  }
}

async function getJson(url: URL, what: string): Promise<{ body: unknown }> {
  const r = await providerCall(url, { headers: { accept: "application/json" } }, what);
  if (r.status !== 200) throw new OidcError("oidc-provider-unavailable", `the provider's ${what} answered ${r.status}`);
  return r;
}
