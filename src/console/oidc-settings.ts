/**
 * The console's OpenID Connect login, as configured by DPI_AP_CONSOLE_OIDC_* (README, "Console"): the
 * provider (its issuer; everything else comes from its discovery document), this console's client there, and
 * which values of which id_token claim make an operator or a viewer.
 */

export interface ConsoleOidcSettings {
  /** The provider's issuer identifier, compared exactly with its discovery document and id_tokens. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Shown on the login page: "Log in with <name>". */
  name: string;
  /** Scopes asked for; openid among them. */
  scope: string[];
  /** The id_token claim holding the user's groups or roles; a dotted path reaches into objects (realm_access.roles). */
  roleClaim: string;
  /** A user with any of these values in the claim is an operator... */
  operatorValues: string[];
  /** ...else with any of these a viewer; with neither the login is refused. */
  viewerValues: string[];
}

/** The DPI_AP_CONSOLE_OIDC_* variables as src/config.ts has parsed them. */
export interface ConsoleOidcEnv {
  DPI_AP_CONSOLE_OIDC_ISSUER?: string | undefined;
  DPI_AP_CONSOLE_OIDC_CLIENT_ID?: string | undefined;
  DPI_AP_CONSOLE_OIDC_CLIENT_SECRET?: string | undefined;
  DPI_AP_CONSOLE_OIDC_NAME?: string | undefined;
  DPI_AP_CONSOLE_OIDC_SCOPE?: string[] | undefined;
  DPI_AP_CONSOLE_OIDC_ROLE_CLAIM?: string | undefined;
  DPI_AP_CONSOLE_OIDC_OPERATOR_VALUES?: string[] | undefined;
  DPI_AP_CONSOLE_OIDC_VIEWER_VALUES?: string[] | undefined;
}

const OTHER_VARIABLES = [
  "DPI_AP_CONSOLE_OIDC_CLIENT_ID",
  "DPI_AP_CONSOLE_OIDC_CLIENT_SECRET",
  "DPI_AP_CONSOLE_OIDC_NAME",
  "DPI_AP_CONSOLE_OIDC_SCOPE",
  "DPI_AP_CONSOLE_OIDC_ROLE_CLAIM",
  "DPI_AP_CONSOLE_OIDC_OPERATOR_VALUES",
  "DPI_AP_CONSOLE_OIDC_VIEWER_VALUES",
] as const satisfies readonly (keyof ConsoleOidcEnv)[];

export const DEFAULT_OIDC_SCOPE = ["openid", "profile"];
export const DEFAULT_ROLE_CLAIM = "groups";

/**
 * The OIDC login of `e`, undefined when DPI_AP_CONSOLE_OIDC_ISSUER is unset; each problem goes to `problems`.
 * Outside sandbox mode the issuer must be https and DPI_AP_PUBLIC_URL set: the redirect URI registered at the
 * provider is derived from it, and must not depend on the Host header a request happens to carry.
 */
export function parseConsoleOidc(e: ConsoleOidcEnv, o: { sandbox: boolean; publicUrl: string | undefined }, problems: string[]): ConsoleOidcSettings | undefined {
  const issuer = e.DPI_AP_CONSOLE_OIDC_ISSUER;
  if (issuer === undefined) {
    const others = OTHER_VARIABLES.filter((k) => e[k] !== undefined);
    if (others.length > 0) problems.push(`DPI_AP_CONSOLE_OIDC_ISSUER: required when ${others.join(", ")} ${others.length > 1 ? "are" : "is"} set`);
    return undefined;
  }
  const before = problems.length;
  if (!o.sandbox && !issuer.startsWith("https://")) problems.push("DPI_AP_CONSOLE_OIDC_ISSUER: must be https:// outside sandbox mode");
  if (!o.sandbox && !o.publicUrl) problems.push("DPI_AP_PUBLIC_URL: required for DPI_AP_CONSOLE_OIDC_ISSUER outside sandbox mode (the redirect URI is <DPI_AP_PUBLIC_URL>/console/oidc/callback)");
  if (!e.DPI_AP_CONSOLE_OIDC_CLIENT_ID) problems.push("DPI_AP_CONSOLE_OIDC_CLIENT_ID: required with DPI_AP_CONSOLE_OIDC_ISSUER");
  if (!e.DPI_AP_CONSOLE_OIDC_CLIENT_SECRET) problems.push("DPI_AP_CONSOLE_OIDC_CLIENT_SECRET: required with DPI_AP_CONSOLE_OIDC_ISSUER");
  const operatorValues = e.DPI_AP_CONSOLE_OIDC_OPERATOR_VALUES ?? [];
  if (operatorValues.length === 0) problems.push("DPI_AP_CONSOLE_OIDC_OPERATOR_VALUES: required with DPI_AP_CONSOLE_OIDC_ISSUER (the claim values that make an operator)");
  const viewerValues = e.DPI_AP_CONSOLE_OIDC_VIEWER_VALUES ?? [];
  const both = operatorValues.filter((v) => viewerValues.includes(v));
  if (both.length > 0) problems.push(`DPI_AP_CONSOLE_OIDC_VIEWER_VALUES: ${both.map((v) => `"${v}"`).join(", ")} also in DPI_AP_CONSOLE_OIDC_OPERATOR_VALUES`);
  const scope = e.DPI_AP_CONSOLE_OIDC_SCOPE ?? DEFAULT_OIDC_SCOPE;
  if (!scope.includes("openid")) problems.push("DPI_AP_CONSOLE_OIDC_SCOPE: must include openid");
  const roleClaim = e.DPI_AP_CONSOLE_OIDC_ROLE_CLAIM ?? DEFAULT_ROLE_CLAIM;
  if (!/^[A-Za-z0-9_:/-]+(\.[A-Za-z0-9_:/-]+)*$/.test(roleClaim)) problems.push(`DPI_AP_CONSOLE_OIDC_ROLE_CLAIM: "${roleClaim}" is not a claim name (or dotted path)`);
  if (problems.length > before) return undefined;
  return {
    issuer,
    clientId: e.DPI_AP_CONSOLE_OIDC_CLIENT_ID!,
    clientSecret: e.DPI_AP_CONSOLE_OIDC_CLIENT_SECRET!,
    name: e.DPI_AP_CONSOLE_OIDC_NAME ?? new URL(issuer).host,
    scope,
    roleClaim,
    operatorValues,
    viewerValues,
  };
}
