/** Public surface of the Altinn 3 correspondence simulator. */
export { startAltinnCorrespondenceSim, CORRESPONDENCE_BASE } from "./server.js";
export type { AltinnCorrespondenceSim, AltinnCorrespondenceSimOptions, AltinnCorrespondenceSimStats } from "./server.js";
export { CorrespondenceState, CORRESPONDENCE_STATUSES, statusOf } from "./state.js";
export type { Correspondence, CorrespondenceStatus, NotificationOrder, StatusEvent, StoredAttachment } from "./state.js";
