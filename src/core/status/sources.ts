/**
 * Where each fact in the status tables comes from. Keys are short so tables stay readable; the README prints
 * this list under the tables. IP = felleslosninger/efm-integrasjonspunkt at fd348ae2f (2026-08-19, v4) unless
 * a commit is named; D = felleslosninger/docs (docs.digdir.no) at edc2469 (2024-10-17) unless a commit is named.
 */
const IP = "felleslosninger/efm-integrasjonspunkt";
const IPM = "integrasjonspunkt/src/main/java/no/difi/meldingsutveksling";
const D = "felleslosninger/docs";

export const SOURCES = {
  seed: "../shared/seeds/000_6312f8a693337fb3.txt: 'Trafikkflyt, kvitteringer og statuser i eFormidling og eInnsyn', the self-help page of difi/move-integrasjonspunkt's gh-pages; its status tables are those of D 9a2f61cb (2019-04-10)",
  "D:traffic-flow":
    `${D} _docs/eFormidling/Selvhjelp/eformidling_selfhelp_traffic_flow.md, the seed's page: cc61228d (2019-10-08, "Ny dpo status namn") renames DPO LEVERING→MOTTATT and AAPNING→LEVERT; f1563969 (2019-11-14) replaces DPF KLAR_FOR_MOTTAK with LEVERT; 2dab4c01^ (2022) adds the DPE table and says LEVETID_UTLOPT applies to DPO, DPV, DPF, DPI, DPE`,
  "D:levetid": `${D} _includes/eformidling/nextmove/levetidUtlopt.txt (4a68bcff, 2019-09-20; removed 2dab4c01): LEVETID_UTLOPT = not delivered, must be sent again; for eInnsyn: no MOTTATT came back in time`,
  "D:meldingstjenester": `${D} _docs/eFormidling/Utvikling/Meldingstjenester/{eformidlings_meldingstjeneste, ks_svarut_og_svarinn, altinn_digital_post, einnsyns_meldingstjeneste}.md: today's per-channel status tables`,
  "IP:ReceiptStatus": `${IP} nextmove/src/main/java/no/difi/meldingsutveksling/receipt/ReceiptStatus.java: the enum OPPRETTET … LEVETID_UTLOPT`,
  "IP:ConversationService":
    `${IP} ${IPM}/status/DefaultConversationService.java: a status the conversation has is ignored; LEVERT sets finished; LEST, FEIL, LEVETID_UTLOPT, INNKOMMENDE_LEVERT set finished and stop polling; no other check (late statuses are recorded)`,
  "IP:TTL": `${IP} ${IPM}/nextmove/v2/TimeToLiveTasks.java, TimeToLiveExpiredHandler.java, ${IPM}/status/ConversationRepository.java (expiry < now AND finished = false, either direction)`,
  "IP:NextMoveSender": `${IP} ${IPM}/nextmove/NextMoveSender.java: SENDT after the channel took the message; LEVETID_UTLOPT instead of sending when already expired`,
  "IP:NextMoveOut": `${IP} ${IPM}/nextmove/v2/NextMoveMessageService.java, ${IPM}/status/DefaultConversationService.java (registerConversation): POST /api/messages/out creates the conversation with OPPRETTET; POST /api/messages/out/{id} sends it`,
  "IP:DLQ": `${IP} ${IPM}/nextmove/DeadLetterQueueHandler.java: FEIL when retries are exhausted`,
  "IP:NextMoveQueue":
    `${IP} ${IPM}/nextmove/NextMoveQueueImpl.java: incoming message → OPPRETTET + INNKOMMENDE_MOTTATT and a MOTTATT status message back; an incoming status message is registered on the conversation with its messageId whatever that conversation's state; expired on arrival → LEVETID_UTLOPT`,
  "IP:MessageIn": `${IP} ${IPM}/nextmove/v2/NextMoveMessageInService.java: archive system deletes the message → INNKOMMENDE_LEVERT and a LEVERT status message back; unreadable ASiC → FEIL`,
  "IP:StatusSender": `${IP} ${IPM}/nextmove/ResponseStatusSender.java + application.properties difi.move.nextmove.status-services=DPO,DPE: status messages only on DPO and DPE, sent from a separate thread`,
  "IP:Kvittering": `${IP} ${IPM}/noarkexchange/altinn/AltinnNextMoveMessageHandler.java: arkivmelding_kvittering ERROR, NOTSUPPORTED → FEIL; OK, WARNING, anything else → LEST`,
  "IP:NoStrategy": `${IP} ${IPM}/receipt/StatusStrategyFactory.java: no status strategy (no polling) for DPO and DPE`,
  "IP:DpfSend": `${IP} ${IPM}/nextmove/DpfConversationStrategyImpl.java: SENDT and LEVERT at once when SvarUt accepts ("SvarUt garanterer leveranse etter ok mottak")`,
  "IP:DpfPoll":
    `${IP} ${IPM}/status/strategy/DpfStatusStrategy.java, fiks-meldingsformidler/…/ks/svarut/{rest/FiksRestStatusMapper, ws/FiksWebServiceStatusMapper}.java: polling starts at SENDT; only SvarUt LEST is mapped (→ LEST); no forsendelseId → FEIL`,
  "IP:FiksStatusMapper@2019":
    `${IP} fiks-meldingsformidler/…/ks/mapping/FiksStatusMapper.java from 597bf8986 (2019-04-15) until 971032f6b (2022-11-02): SvarUt KLAR_FOR_MOTTAK → LEVERT, MANUELT_HANDTERT → LEST, AVVIST → FEIL`,
  "KS:SvarUt": `${IP} fiks-meldingsformidler/src/main/resources/wsdl/ForsendelsesServiceV9.wsdl: SvarUt forsendelseStatus enum (MOTTATT, AKSEPTERT, AVVIST, VARSLET, LEST, SENDT_PRINT, PRINTET, MANUELT_HANDTERT, SENDT_DIGITALT, SENDT_SDP, LEVERT_SDP, KLAR_FOR_MOTTAK, IKKE_LEVERT)`,
  "IP:DpvPoll":
    `${IP} ${IPM}/receipt/strategy/DpvStatusStrategy.java, altinn-v3-client/…/altinnv3/dpv/AltinnDPVService.java: polling starts at SENDT; events in the order created, published, read, purged; Published → LEVERT, Read → LEST, purged or HTTP 404/410 → ANNET and polling stops, any other state → ANNET`,
  "IP:DpoReceipts@2019":
    `${IP} 597bf8986 (2019-04-15) deletes DpoReceiptStatus {AAPNING, LEVERING, MOTTAK, VARSLINGFEILET, RETURPOST, UKJENT} and DpiReceiptStatus {…, VARSLING_FEILET, KLAR_FOR_PRINT, POST_RETURNERT, …}; its DpoReceiptMapper maps aapning → LEVERT, levering → MOTTATT, mottak → MOTTATT`,
  "IP:DpiStatusMapper": `${IP} post-til-private/…/dpi/json/MessageStatusMapper.java: corner 2 OPPRETTET → SENDT, SENDT → MOTTATT, FEILET → FEIL; leverings- → LEVERT, aapnings- → LEST, mottaks- → LEVERT, varslingfeilet-, returpost-, feil → FEIL`,
  "IP:DpiReceipts": `${IP} ${IPM}/DpiReceiptHandler.java: DPI receipts arrive out of order (LEVERT before MOTTATT) and are registered whatever the conversation's state`,
  "spec:dpi": "../shared/spec/dpi.md §1.1 (Digdir DPI API status enum OPPRETTET, SENDT, FEILET) and §3.3 (what each receipt means)",
  "ap:status-model": "dpi-ap src/dpi/status-model.ts: the letter's own statuses and the timeline status of each receipt",
  "ap:nextmove-dpi": "dpi-ap src/channels/dpi/nextmove-handover.ts: a NextMove digital or print message is UTKAST until sent, then the signed letter is OPPRETTET in DPI's outbox",
  "ap:outbox": "dpi-ap src/store/outbox-repo.ts: SENDT, FEILET; LEVETID_UTLOPT only for a letter with no receipt in its conversation",
  "ap:feil-receipt": "dpi-ap src/channels/dpi/feil-receipt.ts: a FEILET letter gets a feil receipt, committed together with FEILET",
} as const;

export type SourceKey = keyof typeof SOURCES;
