import { join } from "node:path";
import { organisationNumberOf } from "./business-certificate.js";
import { KeystoreFormatError } from "./errors.js";
import { loadKeyStore, type KeyStore } from "./keystore.js";

/**
 * The business certificates (virksomhetssertifikat) of the organisations a deployment sends and receives for
 * over NextMove: one PKCS#12 file per organisation, `<dir>/<orgno>.p12`, all under one password. They sign
 * what the organisation sends (DPI's forretningsmelding and ASiC-E) and decrypt what is sent to it (the
 * CMS-wrapped asic.zip that GET /api/messages/in/pop opens). Loaded on first use and kept: a file that does not
 * belong to its organisation is refused rather than used to sign in another's name.
 */
export interface OrgKeyStores {
  /** The organisation's keystore; throws when it has none or the file is unusable. */
  get(orgno: string): Promise<KeyStore>;
}

export function orgKeyStoresFromDir(dir: string, password: string): OrgKeyStores {
  const loaded = new Map<string, Promise<KeyStore>>();
  return {
    get(orgno) {
      if (!/^\d{9}$/.test(orgno)) return Promise.reject(new RangeError(`not an organisation number: ${orgno}`));
      let ks = loaded.get(orgno);
      if (!ks) {
        ks = load(join(dir, `${orgno}.p12`), password, orgno);
        // A failed load is not kept: the operator may put the file in place without a restart.
        ks.catch(() => loaded.delete(orgno));
        loaded.set(orgno, ks);
      }
      return ks;
    },
  };
}

/** Keystores given directly (tests, the sandbox's generated certificates). */
export function orgKeyStoresOf(byOrg: ReadonlyMap<string, KeyStore>): OrgKeyStores {
  return {
    get(orgno) {
      const ks = byOrg.get(orgno);
      return ks ? Promise.resolve(ks) : Promise.reject(new KeystoreFormatError(`no keystore for organisation ${orgno}`));
    },
  };
}

async function load(file: string, password: string, orgno: string): Promise<KeyStore> {
  const ks = await loadKeyStore({ type: "pkcs12", file, password });
  const owner = organisationNumberOf(ks.certificate);
  if (owner !== orgno) throw new KeystoreFormatError(`${file} holds the certificate of ${owner}, not of ${orgno}`);
  return ks;
}
