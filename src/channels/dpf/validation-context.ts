import { forsendelseTypeToCheck, MissingSvarUtCredentialsError, type DpfContext, type StandardBusinessDocument } from "../../sbd/index.js";
import type { SvarUtAccountCredentials, SvarUtClient } from "./svarut-client.js";

/**
 * What the integrasjonspunkt's DPF checks of a new message need to know of SvarUt (src/sbd/validate.ts,
 * DpfContext): whether the sending organisation has SvarUt credentials (its own, or as one sent for), and, when
 * the message names a forsendelseType, the forsendelsestyper SvarUt offers that organisation's account.
 */
export function dpfValidationContext(o: { svarUt: SvarUtClient; accountOf(orgno: string): SvarUtAccountCredentials | undefined; orgs: readonly string[] }) {
  return async (sbd: StandardBusinessDocument, ownOrgNumber: string): Promise<DpfContext> => {
    const typesFor = forsendelseTypeToCheck(sbd, "DPF");
    const account = typesFor === undefined ? undefined : o.accountOf(typesFor);
    // Without an account SvarUt cannot be asked for its types: the message fails on the missing credentials.
    if (typesFor !== undefined && !account) throw new MissingSvarUtCredentialsError(typesFor);
    return {
      ownOrgNumber,
      hasOwnCredentials: o.accountOf(ownOrgNumber) !== undefined,
      onBehalfOf: o.orgs.filter((org) => o.accountOf(org) !== undefined),
      ...(account ? { forsendelseTyper: await o.svarUt.forsendelsestyper(account) } : {}),
    };
  };
}
