/**
 * The sandbox's SvarUt: one account per sending organisation of the sandbox, the DPF municipalities the Service
 * Registry simulator answers for (src/sim/service-registry/defaults.ts: 910075924 at levels 3 and 4, 910075927 at
 * level 3), and SvarInn inboxes for the sandbox's own organisations, whose downloads are encrypted to their
 * business certificates in certs-example. SvarUt's own key is the stand-in the SR's DPF records carry (987654325).
 *
 * | who        | konto id                               | integrasjon id (password sandbox)       | SvarInn user (password sandbox) |
 * |------------|----------------------------------------|-----------------------------------------|---------------------------------|
 * | 991825827  | 00000000-0000-4000-8000-991825827000   | 00000000-0000-4000-9000-991825827000     | svarinn-991825827               |
 * | 810969342  | 00000000-0000-4000-8000-810969342000   | 00000000-0000-4000-9000-810969342000     | svarinn-810969342               |
 * | 910076787  | 00000000-0000-4000-8000-910076787000   | 00000000-0000-4000-9000-910076787000     | svarinn-910076787               |
 *
 * Each integration is authorised for its own organisation and allowed its own konto; the REST API wants that
 * organisation's Maskinporten token (scope ks:fiks) from the Maskinporten simulator beside it.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_CERTS_DIR, SR_SANDBOX } from "../service-registry/defaults.js";
import type { SvarUtSimOptions } from "./server.js";
import { SvarUtState } from "./state.js";

export const SVARUT_SANDBOX = {
  password: "sandbox",
  senders: ["991825827", "810969342", "910076787"],
  forsendelsestyper: ["byggesak", "politisk-sak"],
  kontoId: (orgnr: string) => `00000000-0000-4000-8000-${orgnr}000`,
  integrasjonId: (orgnr: string) => `00000000-0000-4000-9000-${orgnr}000`,
  svarInnUser: (orgnr: string) => `svarinn-${orgnr}`,
} as const;

/** Seeds `state` with the sandbox set. */
export async function seedSvarUtDefaults(state: SvarUtState, certsDir: string = DEFAULT_CERTS_DIR): Promise<SvarUtState> {
  const S = SVARUT_SANDBOX;
  for (const orgnr of S.senders) {
    state.addAccount({ kontoId: S.kontoId(orgnr), orgnr, forsendelsestyper: [...S.forsendelsestyper] });
    state.addIntegration({ integrasjonId: S.integrasjonId(orgnr), passord: S.password, orgnr, kontoer: [S.kontoId(orgnr)] });
    state.addReceiver({
      orgnr,
      navn: `DPI-AP TEST ${orgnr}`,
      levels: [3, 4],
      svarInn: { username: S.svarInnUser(orgnr), password: S.password, certificatePem: await readFile(join(certsDir, "business", `${orgnr}.pem`), "utf8") },
    });
  }
  state.addReceiver({ orgnr: SR_SANDBOX.dpf, navn: "DPI-AP TEST DPF-MOTTAKER", levels: [3, 4] });
  state.addReceiver({ orgnr: SR_SANDBOX.dpfLevel3, navn: "DPI-AP TEST DPF-MOTTAKER NIVÅ 3", levels: [3] });
  return state;
}

/**
 * Options for {@link startSvarUtSim} with the sandbox set and SvarUt's stand-in key; `maskinporten` is the issuer
 * whose tokens the REST API takes (the Maskinporten simulator's). Override any field after.
 */
export async function loadDefaultSvarUtOptions(o: { certsDir?: string; maskinporten: SvarUtSimOptions["maskinporten"] }): Promise<SvarUtSimOptions> {
  const certsDir = o.certsDir ?? DEFAULT_CERTS_DIR;
  const file = (name: string) => readFile(join(certsDir, "business", name), "utf8");
  return {
    key: { privateKeyPem: await file(`${SR_SANDBOX.svarUtStandIn}.key.pem`), certificatePem: await file(`${SR_SANDBOX.svarUtStandIn}.pem`) },
    state: await seedSvarUtDefaults(new SvarUtState(), certsDir),
    maskinporten: o.maskinporten,
  };
}
