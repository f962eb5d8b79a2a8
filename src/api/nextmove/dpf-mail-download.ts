import { Router } from "express";
import type { Clock } from "../../clock.js";
import { mayActFor, nextMoveCallerOf } from "./caller.js";
import { OrganisationNotAllowedError } from "./errors.js";
import type { OrgKeyStores } from "../../pki/org-keystores.js";
import type { BlobStore } from "../../store/blob-store.js";
import type { DpfMailBlobKind, DpfMailRepo } from "../../store/dpf-mail-repo.js";
import { mailFiles } from "../../channels/dpf/mail-documents.js";
import { isMailToken, MAIL_DOWNLOAD_PATH, mailTokenHash } from "../../channels/dpf/mail-link.js";
import { DpfMailLinkExpiredError, DpfMailLinkNotFoundError } from "./dpf-mail-errors.js";

/**
 * The download behind a level-4 mail's links: `GET /api/dpf/mail/{token}/{n}` gives the n-th file (from 0). It sits
 * behind the NextMove API's authentication (HTTP Basic of a configured user, or a Maskinporten token), and the
 * caller must act for the receiving organisation: a link that leaks from a mailbox is useless without the
 * organisation's credentials, and credentials alone do not find a forsendelse without its link. The token
 * (src/channels/dpf/mail-link.ts) is replaced by a later attempt at the same mail.
 */

export function mailDownloadRouter(d: { repo: DpfMailRepo; blobs: BlobStore; keystores: OrgKeyStores; clock: Clock }): Router {
  const r = Router();
  r.get(`${MAIL_DOWNLOAD_PATH}/:token/:n`, async (req, res) => {
    const caller = nextMoveCallerOf(res);
    const token = String(req.params.token);
    const mail = isMailToken(token) ? await d.repo.byTokenHash(mailTokenHash(token)) : null;
    if (!mail) throw new DpfMailLinkNotFoundError("No mail has this download link");
    if (!mayActFor(caller, mail.receiverOrg)) throw new OrganisationNotAllowedError(mail.receiverOrg, caller.name);
    if (!mail.linkExpiresAt || mail.linkExpiresAt.getTime() <= d.clock().getTime()) throw new DpfMailLinkExpiredError(`The download link stopped working at ${mail.linkExpiresAt?.toISOString() ?? "once"}`);
    const files = mailFiles(await d.blobs.read(mail.blobKey), mail.blobKind as DpfMailBlobKind, await d.keystores.get(mail.receiverOrg), mail.messageId).files;
    const n = /^\d{1,6}$/.test(String(req.params.n)) ? Number(req.params.n) : -1;
    const file = files[n];
    if (!file) throw new DpfMailLinkNotFoundError(`The mail has no file ${String(req.params.n)} (it has ${files.length})`);
    res.setHeader("Content-Type", file.contentType);
    res.setHeader("Content-Disposition", `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`);
    res.end(Buffer.from(file.bytes));
  });
  return r;
}
