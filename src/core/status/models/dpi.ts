import type { ChannelStatusModel } from "../vocabulary.js";

/**
 * DPI, this access point's own channel: Peppol AS4 to corner 3, receipts back the same way. The letter's own
 * statuses are the Digdir DPI API's (OPPRETTET, SENDT, FEILET) plus LEVETID_UTLOPT; each receipt that arrives in
 * the conversation stands for the status Digdir's integrasjonspunkt maps its type to (MessageStatusMapper:
 * leverings- and mottakskvittering LEVERT, aapningskvittering LEST, feil, varslingfeilet- and
 * returpostkvittering FEIL); the receipt's type stays on the timeline event. FEILET (corner 2 gave up) and FEIL
 * (a receipt saying so) are different things and both are kept. FEIL is terminal, but a varslingfeilet FEIL
 * leaves the letter in the postbox, so LEVERT and LEST may still follow it. `eformidling` is what an integrasjonspunkt that uses this
 * access point as its corner 2 records (MessageStatusMapper): one step later for our own statuses, because for
 * the integrasjonspunkt handing the letter to us is already SENDT. The seed's DPI table says only "Kommer".
 */
export const DPI_STATUS_MODEL: ChannelStatusModel = {
  channel: "DPI",
  summary: "Peppol AS4 between corner 2 and corner 3; receipts come back over AS4 as messages of their own.",
  statuses: [
    {
      status: "UTKAST",
      direction: "OUTGOING",
      terminal: false,
      error: false,
      endsExpiry: false,
      meaning: "Created over the NextMove API (POST /api/messages/out); files may still be uploaded. Sending it (POST /api/messages/out/{id}) builds and signs the letter, which makes it OPPRETTET.",
      seedRows: [],
      eformidling: "OPPRETTET",
      mayFollow: [],
      sources: ["IP:NextMoveOut", "ap:nextmove-dpi"],
    },
    {
      status: "OPPRETTET",
      direction: "OUTGOING",
      terminal: false,
      error: false,
      endsExpiry: false,
      meaning: "Accepted on POST /messages/out (or sent over the NextMove API) and stored; not yet sent to corner 3.",
      seedRows: [],
      eformidling: "SENDT",
      mayFollow: [],
      sources: ["spec:dpi", "ap:status-model", "IP:DpiStatusMapper"],
    },
    {
      status: "SENDT",
      direction: "OUTGOING",
      terminal: false,
      error: false,
      endsExpiry: false,
      meaning: "Corner 3 took the letter (signed AS4 receipt).",
      seedRows: [],
      eformidling: "MOTTATT",
      mayFollow: [],
      sources: ["spec:dpi", "ap:outbox", "IP:DpiStatusMapper"],
    },
    {
      status: "FEILET",
      direction: "OUTGOING",
      terminal: true,
      error: true,
      endsExpiry: true,
      meaning: "Corner 2 gave up (permanent failure or retries exhausted); corner 1 also gets a feil receipt.",
      seedRows: [],
      eformidling: "FEIL",
      mayFollow: ["FEIL"],
      sources: ["spec:dpi", "ap:outbox", "ap:feil-receipt", "IP:DpiStatusMapper"],
    },
    {
      status: "LEVETID_UTLOPT",
      direction: "OUTGOING",
      terminal: true,
      error: true,
      endsExpiry: true,
      meaning: "No receipt arrived before the letter's expectedResponseDateTime.",
      seedRows: [],
      eformidling: "LEVETID_UTLOPT",
      mayFollow: ["LEVERT", "LEST", "FEIL"],
      sources: ["ap:outbox", "ap:status-model", "D:traffic-flow", "IP:DpiReceipts"],
    },
    {
      status: "LEVERT",
      direction: "OUTGOING",
      terminal: false,
      error: false,
      endsExpiry: true,
      meaning: "leveringskvittering (the postbox made the letter available, or print has it ready for posting) or mottakskvittering (the print service accepted and queued it).",
      seedRows: [],
      eformidling: "LEVERT",
      mayFollow: [],
      sources: ["spec:dpi", "ap:status-model", "ap:outbox", "IP:DpiStatusMapper", "D:traffic-flow"],
    },
    {
      status: "LEST",
      direction: "OUTGOING",
      terminal: true,
      error: false,
      endsExpiry: true,
      meaning: "aapningskvittering: the citizen opened the letter (only when the sender asked for it).",
      seedRows: [],
      eformidling: "LEST",
      mayFollow: ["LEVERT", "FEIL"],
      sources: ["spec:dpi", "ap:status-model", "IP:DpiStatusMapper", "IP:DpiReceipts"],
    },
    {
      status: "FEIL",
      direction: "OUTGOING",
      terminal: true,
      error: true,
      endsExpiry: true,
      meaning: "feil receipt (the letter cannot be delivered), varslingfeiletkvittering (an e-mail or SMS notice failed; the letter is still in the postbox) or returpostkvittering (the printed letter came back and was shredded).",
      seedRows: [],
      eformidling: "FEIL",
      mayFollow: ["FEILET", "LEVERT", "LEST"],
      sources: ["spec:dpi", "ap:status-model", "ap:feil-receipt", "IP:DpiStatusMapper"],
    },
    {
      status: "MOTTATT",
      direction: "INCOMING",
      terminal: false,
      error: false,
      endsExpiry: false,
      meaning: "A letter or receipt arrived over AS4 for one of our participants and waits on GET /messages/in.",
      seedRows: [],
      eformidling: "INNKOMMENDE_MOTTATT",
      mayFollow: [],
      sources: ["ap:status-model", "IP:NextMoveQueue"],
    },
  ],
};
