/**
 * Onboarding ("Hjørne 2 oppretter Avsender i ELMA"): adding and removing the participants this access point
 * serves, in the store and — when the SMP is managed from here (DPI_AP_SMP_MANAGEMENT_URL) — in the SMP through
 * its management API, for exactly the document types and processes the participant's role receives.
 *
 * No half state: a participant is served (its row "registered") only after the SMP has every entry of its
 * role. When the SMP fails while a new participant is being added, what was already put there is deleted
 * again and the row goes; if even that cannot be done (the SMP went away mid-way), the row stays "pending" —
 * not served — with the error, and the registration is retried (at start-up, every retry interval, or by
 * adding it again) until the SMP has all of it. Adding what is registered already puts the same entries again
 * (the SMP's PUTs replace, so this repairs a drifted SMP and never duplicates). Removing takes the entries out
 * of the SMP first and the row after, so a failed removal leaves the participant served as before.
 */
import type { X509Certificate } from "node:crypto";
import type { Clock } from "../clock.js";
import { withRequestId, type Logger } from "../log.js";
import { isParticipantRole, PARTICIPANT_ROLES, registrationsOfRole, type ParticipantRole } from "../dpi/participant-roles.js";
import { dpiDocumentTypeId, dpiProcessId, norwegianParticipantId, participantKey, toParticipantId, type ParticipantId, type StandardSpelling } from "../peppol/identifiers.js";
import { SmpManagementError, type SmpManagementClient } from "../peppol/smp-management.js";
import type { ParticipantsRepo, ServedParticipantRow } from "../store/participants-repo.js";
import type { ServedDirectory } from "./directory.js";
import { ParticipantInvalidError, ParticipantNotFoundError, ParticipantSmpError } from "./errors.js";

export interface SmpRegistrar {
  client: SmpManagementClient;
  /** Where and with which certificate we receive AS4 (known once the server listens). */
  endpoint(): { endpointUrl: string; certificate: X509Certificate };
  spelling: StandardSpelling;
}

export interface ParticipantsServiceDeps {
  repo: ParticipantsRepo;
  directory: ServedDirectory;
  /** Absent: the SMP is kept by other means; participants are served as soon as they are stored. */
  smp: SmpRegistrar | undefined;
  clock: Clock;
  log: Logger;
}

export interface AddResult {
  row: ServedParticipantRow;
  /** False when the participant already had this role (the call then only re-ensured its SMP entries). */
  created: boolean;
}

export class ParticipantsService {
  constructor(private readonly d: ParticipantsServiceDeps) {}

  async list(): Promise<ServedParticipantRow[]> {
    return this.d.repo.list();
  }

  /** `requestId`: the request being served (src/api/admin-participants.ts), which its lines name. */
  async add(participantText: string, roleText: string, requestId?: string): Promise<AddResult> {
    const log = withRequestId(this.d.log, requestId);
    const participant = parseServedParticipant(participantText);
    const role = parseRole(roleText);
    const key = participantKey(participant);
    const now = this.d.clock();
    const before = await this.d.repo.get(key, role);
    if (!this.d.smp) {
      const created = await this.d.repo.insertIfAbsent({ participant: key, role, state: "registered", smpManaged: false }, now);
      if (!created && before?.state !== "registered") await this.d.repo.setState(key, role, "registered", undefined, now);
      return this.#done(key, role, created);
    }
    const created = await this.d.repo.insertIfAbsent({ participant: key, role, state: "pending", smpManaged: true }, now);
    const progress = { groupPut: false };
    try {
      await this.#register(participant, role, progress);
    } catch (e) {
      const error = smpFailure(e, `registering ${key} as ${role} in the SMP`);
      if (created) await this.#rollBack(participant, role, error, progress.groupPut, log);
      else if (before?.state === "pending") await this.d.repo.setState(key, role, "pending", error.message, this.d.clock());
      // A role that was registered stays so: it was served before, and the SMP may well still have it.
      await this.d.directory.refresh();
      throw error;
    }
    await this.d.repo.setState(key, role, "registered", undefined, this.d.clock(), true);
    log.info({ participant: key, role }, "participant registered in the SMP and served");
    return this.#done(key, role, created);
  }

  /** Removes one role, or (role undefined) every role of the participant. */
  async remove(participantText: string, roleText?: string, requestId?: string): Promise<ServedParticipantRow[]> {
    const log = withRequestId(this.d.log, requestId);
    const participant = parseServedParticipant(participantText);
    const role = roleText === undefined ? undefined : parseRole(roleText);
    const key = participantKey(participant);
    const all = await this.d.repo.rolesOf(key);
    const going = all.filter((r) => role === undefined || r.role === role);
    if (going.length === 0) throw new ParticipantNotFoundError(`${key}${role ? ` as ${role}` : ""} is not served here`);
    const managed = going.filter((r) => r.smpManaged);
    if (this.d.smp && managed.length > 0) {
      try {
        const remaining = all.length - going.length;
        if (remaining === 0) await this.d.smp.client.deleteServiceGroup(participant);
        else for (const r of managed) for (const reg of registrationsOfRole(r.role as ParticipantRole)) await this.d.smp.client.deleteServiceMetadata(participant, dpiDocumentTypeId(reg.type, this.d.smp.spelling));
      } catch (e) {
        throw smpFailure(e, `removing ${key} from the SMP (it is still served; remove it again)`);
      }
    }
    await this.d.repo.delete(key, role);
    await this.d.directory.refresh();
    log.info({ participant: key, ...(role ? { role } : {}) }, "participant removed");
    return going;
  }

  /**
   * The start-up seed (DPI_AP_SERVED_PARTICIPANTS, DPI_AP_LETTER_RECIPIENTS): stores each participant and
   * role that is not stored yet — served at once without SMP management, "pending" (registered by
   * retryPending) with it. Stored participants are left as they are.
   */
  async seed(entries: readonly { participant: string; role: ParticipantRole }[]): Promise<number> {
    let added = 0;
    for (const e of entries) {
      const key = participantKey(parseServedParticipant(e.participant));
      const state = this.d.smp ? "pending" : "registered";
      if (await this.d.repo.insertIfAbsent({ participant: key, role: e.role, state, smpManaged: this.d.smp !== undefined }, this.d.clock())) added++;
    }
    await this.d.directory.refresh();
    return added;
  }

  /** Tries again to register every pending participant; the ones still failing stay pending with the error. */
  async retryPending(): Promise<void> {
    if (!this.d.smp) return;
    for (const row of (await this.d.repo.list()).filter((r) => r.state === "pending")) {
      const participant = toParticipantId(row.participant);
      try {
        await this.#register(participant, row.role as ParticipantRole);
        await this.d.repo.setState(row.participant, row.role, "registered", undefined, this.d.clock(), true);
        this.d.log.info({ participant: row.participant, role: row.role }, "pending participant registered in the SMP and served");
      } catch (e) {
        const error = smpFailure(e, `registering ${row.participant} as ${row.role} in the SMP`);
        await this.d.repo.setState(row.participant, row.role, "pending", error.message, this.d.clock());
        this.d.log.warn({ participant: row.participant, role: row.role, err: error.message }, "participant still pending: SMP registration failed");
      }
    }
    await this.d.directory.refresh();
  }

  /** The service group, then one ServiceMetadata per document type of the role (each listing its processes). */
  async #register(participant: ParticipantId, role: ParticipantRole, progress = { groupPut: false }): Promise<void> {
    const smp = this.d.smp!;
    const endpoint = smp.endpoint();
    await smp.client.putServiceGroup(participant);
    progress.groupPut = true;
    for (const reg of registrationsOfRole(role)) {
      await smp.client.putServiceMetadata(participant, dpiDocumentTypeId(reg.type, smp.spelling), reg.processes.map(dpiProcessId), {
        ...endpoint,
        serviceDescription: `DPI ${role}`,
      });
    }
  }

  /**
   * Undoes a failed first registration: the role's document types, and the service group when no other role
   * of the participant is stored; then the row. When the SMP cannot be cleaned, the row stays pending. When
   * the SMP refused the service group itself, nothing of ours is there to undo.
   */
  async #rollBack(participant: ParticipantId, role: ParticipantRole, cause: ParticipantSmpError, groupPut: boolean, log: Logger): Promise<void> {
    const smp = this.d.smp!;
    const key = participantKey(participant);
    try {
      if (!groupPut) {
        await this.d.repo.delete(key, role);
        log.warn({ participant: key, role, err: cause.message }, "participant not added: the SMP refused its service group");
        return;
      }
      const others = (await this.d.repo.rolesOf(key)).filter((r) => r.role !== role);
      if (others.length === 0) await smp.client.deleteServiceGroup(participant);
      else for (const reg of registrationsOfRole(role)) await smp.client.deleteServiceMetadata(participant, dpiDocumentTypeId(reg.type, smp.spelling));
      await this.d.repo.delete(key, role);
      log.warn({ participant: key, role, err: cause.message }, "participant not added: SMP registration failed and was rolled back");
    } catch (e) {
      const detail = `${cause.message}; rolling back failed too (${e instanceof Error ? e.message : String(e)}), so it stays pending and is retried`;
      await this.d.repo.setState(key, role, "pending", detail, this.d.clock());
      log.warn({ participant: key, role, err: detail }, "participant pending: SMP registration failed");
    }
  }

  async #done(key: string, role: ParticipantRole, created: boolean): Promise<AddResult> {
    await this.d.directory.refresh();
    return { row: (await this.d.repo.get(key, role))!, created };
  }
}

/** A Norwegian organisation number, bare or as 0192:<orgno> (or the full iso6523-actorid-upis URI). */
export function parseServedParticipant(text: string): ParticipantId {
  const t = text.trim();
  if (/^\d{9}$/.test(t)) return norwegianParticipantId(t);
  try {
    const id = toParticipantId(t);
    if (/^0192:\d{9}$/.test(id.value) && id.scheme.toLowerCase() === "iso6523-actorid-upis") return id;
  } catch {
    // answered below
  }
  throw new ParticipantInvalidError(`${JSON.stringify(text)} is not an organisation number (991825827 or 0192:991825827)`);
}

function parseRole(text: string): ParticipantRole {
  if (isParticipantRole(text)) return text;
  throw new ParticipantInvalidError(`${JSON.stringify(text)} is not a role (${PARTICIPANT_ROLES.join(", ")})`);
}

function smpFailure(e: unknown, what: string): ParticipantSmpError {
  if (e instanceof ParticipantSmpError) return e;
  if (e instanceof SmpManagementError) return new ParticipantSmpError(`${what}: ${e.message}`, e.transient, { cause: e });
  throw e;
}
