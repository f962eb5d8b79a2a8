import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { sameParticipant } from "./peppol/identifiers.js";
import { DEFAULT_RETRY_WINDOW_HOURS, type RetryPolicy } from "./core/retry-policy.js";
import { parseConsoleUsers, type ConsoleUser } from "./console/users.js";
import { parseConsoleOidc, type ConsoleOidcSettings } from "./console/oidc-settings.js";
import { DEFAULT_DPV_SETTINGS, type DpvSettings } from "./channels/dpv/correspondence.js";

/**
 * Every setting of the access point, read from environment variables (documented in the README's
 * configuration table). Parsing fails with one message naming each bad variable, so a misconfigured
 * deployment stops at start-up instead of failing its first request.
 */

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");
const list = z.string().transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean));
const bytes = z.coerce.number().int().positive();
const orgNumber = /^(0192:)?\d{9}$/;

const schema = z.object({
  DPI_AP_HOST: z.string().default("127.0.0.1"),
  DPI_AP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DPI_AP_PUBLIC_URL: z.string().url().optional(),
  DPI_AP_DATABASE_URL: z.string().default("file:./data/dpi-ap.db"),
  DPI_AP_DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DPI_AP_DATABASE_NAMED_STATEMENTS: bool.default(true),
  DPI_AP_SQLITE_SYNCHRONOUS: z.enum(["full", "normal"]).default("full"),
  DPI_AP_DATA_DIR: z.string().default("./data"),
  DPI_AP_BLOB_STORE: z.enum(["folder", "database"]).default("folder"),
  DPI_AP_SPOOL_DIR: z.string().optional(),
  DPI_AP_AS4_MEMORY_SPOOL_BYTES: z.coerce.number().int().min(0).max(1024 ** 3).default(1024 * 1024),
  DPI_AP_AS4_MEMORY_SPOOL_TOTAL_BYTES: z.coerce.number().int().min(0).max(16 * 1024 ** 3).default(64 * 1024 * 1024),
  DPI_AP_METRICS: bool.default(true),
  DPI_AP_METRICS_HOST: z.string().optional(),
  DPI_AP_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  DPI_AP_METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces").optional(),
  DPI_AP_HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  DPI_AP_HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(10 * 60_000),
  DPI_AP_HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  DPI_AP_HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  DPI_AP_HTTP_SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(10_000),
  DPI_AP_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DPI_AP_LOG_SYNC: bool.default(false),
  DPI_AP_SANDBOX: bool.default(true),
  DPI_AP_MASKINPORTEN_ISSUER: z.string().optional(),
  DPI_AP_MASKINPORTEN_JWKS_URL: z.string().url().optional(),
  DPI_AP_MASKINPORTEN_SCOPE: list.default(["digitalpostinnbygger:send"]),
  DPI_AP_MASKINPORTEN_AUDIENCE: z.string().optional(),
  DPI_AP_MASKINPORTEN_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  DPI_AP_BUSINESS_TRUST_ANCHORS: list.optional(),
  DPI_AP_SERVED_PARTICIPANTS: list.optional(),
  DPI_AP_LETTER_RECIPIENTS: list.optional(),
  DPI_AP_MAX_DOKUMENTPAKKE_BYTES: bytes.default(30 * 1024 * 1024),
  DPI_AP_MAX_FORRETNINGSMELDING_BYTES: bytes.default(512 * 1024),
  DPI_AP_MAX_CONCURRENT_UPLOADS: z.coerce.number().int().min(1).max(10_000).default(32),
  DPI_AP_AS4_KEYSTORE: z.string().optional(),
  DPI_AP_AS4_KEYSTORE_PASSWORD: z.string().optional(),
  DPI_AP_OPERATOR_KEYSTORE: z.string().optional(),
  DPI_AP_OPERATOR_KEYSTORE_PASSWORD: z.string().optional(),
  DPI_AP_AS4_PATH: z.string().regex(/^\/[A-Za-z0-9/_-]*$/).default("/as4"),
  DPI_AP_AS4_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  DPI_AP_PEPPOL_AP_TRUST_ANCHORS: list.optional(),
  DPI_AP_REVOCATION: z.enum(["hard-fail", "soft-fail"]).default("hard-fail"),
  DPI_AP_STATIC_CRLS: list.optional(),
  DPI_AP_REVOCATION_URL_MAP: list.optional(),
  DPI_AP_SML_MODE: z.enum(["naptr", "cname", "static"]).optional(),
  DPI_AP_SML_ZONE: z.string().optional(),
  DPI_AP_DNS_SERVERS: list.optional(),
  DPI_AP_SMP_URL: z.string().url().optional(),
  DPI_AP_SMP_TRUST_ANCHORS: list.optional(),
  DPI_AP_SMP_ALLOW_HTTP: bool.optional(),
  DPI_AP_DOCUMENT_TYPE_SPELLING: z.enum(["innbyggerpost", "Innbyggerpost"]).default("innbyggerpost"),
  DPI_AP_PUSH_WEBHOOKS: list.optional(),
  DPI_AP_OUTBOX_POLL_MS: z.coerce.number().int().positive().default(1000),
  DPI_AP_OUTBOX_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  DPI_AP_STATUS_POLL_MS: z.coerce.number().int().positive().default(60_000),
  DPI_AP_STATUS_POLL_MIN_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
  DPI_AP_RETRY_WINDOW_HOURS: z.coerce.number().positive().max(24 * 365).default(DEFAULT_RETRY_WINDOW_HOURS),
  DPI_AP_RETRY_MAX_ATTEMPTS: z.coerce.number().int().min(1).optional(),
  DPI_AP_RETRY_BASE_MS: z.coerce.number().int().positive().default(5000),
  DPI_AP_RETRY_MAX_MS: z.coerce.number().int().positive().default(30 * 60_000),
  DPI_AP_SWEEP_INTERVAL_MINUTES: z.coerce.number().positive().max(24 * 60).default(15),
  DPI_AP_NEXTMOVE: bool.default(false),
  DPI_AP_NEXTMOVE_USERS: list.optional(),
  DPI_AP_NEXTMOVE_MASKINPORTEN_SCOPE: list.default(["eformidling:nextmove"]),
  DPI_AP_NEXTMOVE_ORGS: list.optional(),
  DPI_AP_NEXTMOVE_KEYSTORE_DIR: z.string().optional(),
  DPI_AP_NEXTMOVE_KEYSTORE_PASSWORD: z.string().optional(),
  DPI_AP_NEXTMOVE_CLIENT_IDS: list.optional(),
  DPI_AP_NEXTMOVE_CHANNELS: list.default(["DPI"]),
  DPI_AP_NEXTMOVE_TTL_HOURS: z.coerce.number().positive().max(24 * 365).default(24),
  DPI_AP_NEXTMOVE_LOCK_MINUTES: z.coerce.number().positive().max(24 * 60).default(5),
  DPI_AP_NEXTMOVE_STATUS_QUEUE_CHANNELS: list.default([]),
  DPI_AP_NEXTMOVE_MAX_FILE_BYTES: bytes.default(5 * 1024 * 1024),
  DPI_AP_SERVICE_REGISTRY_URL: z.string().url().optional(),
  DPI_AP_SERVICE_REGISTRY_SIGNED: bool.default(true),
  DPI_AP_SERVICE_REGISTRY_CACHE_SECONDS: z.coerce.number().int().min(0).default(300),
  DPI_AP_MASKINPORTEN_TOKEN_URL: z.string().url().optional(),
  // DPE (eInnsyn over Azure Service Bus)
  DPI_AP_DPE_SERVICEBUS_URL: z.string().url().optional(),
  DPI_AP_DPE_SAS_KEY_NAME: z.string().default("MoveDPE-prodPolicy"),
  DPI_AP_DPE_SAS_KEY: z.string().optional(),
  DPI_AP_DPE_MODE: z.enum(["innsyn", "data", "meeting"]).default("innsyn"),
  DPI_AP_DPE_MODES: list.default([]),
  DPI_AP_DPE_RECEIPT_QUEUE: z.string().optional(),
  DPI_AP_DPE_POLL_MS: z.coerce.number().int().positive().default(20_000),
  DPI_AP_DPE_AMQP_URL: z.string().regex(/^amqps?:\/\//, "must be amqp:// or amqps://").optional(),
  DPI_AP_DPE_AMQP_ADDRESS_PREFIX: z.string().default(""),
  DPI_AP_DPE_AMQP_SETTLE_SECOND: bool.default(true),
  // DPV (Altinn 3 correspondence) and the Altinn token exchange it shares with DPO.
  DPI_AP_ALTINN_TOKEN_EXCHANGE_URL: z.string().url().optional(),
  DPI_AP_DPV_CORRESPONDENCE_URL: z.string().url().optional(),
  DPI_AP_DPV_NOTIFY_EMAIL: bool.default(true),
  DPI_AP_DPV_NOTIFY_SMS: bool.default(true),
  DPI_AP_DPV_NOTIFICATION_TEXT: z.string().min(1).default(DEFAULT_DPV_SETTINGS.notificationText),
  DPI_AP_DPV_SENSITIVE_NOTIFICATION_TEXT: z.string().min(1).default(DEFAULT_DPV_SETTINGS.sensitiveNotificationText),
  DPI_AP_DPV_EMAIL_SUBJECT: z.string().min(1).default(DEFAULT_DPV_SETTINGS.emailSubject),
  DPI_AP_DPV_DAYS_TO_REPLY: z.coerce.number().int().min(0).max(3650).default(DEFAULT_DPV_SETTINGS.daysToReply),
  DPI_AP_DPV_SENSITIVE_RESOURCE: z.string().min(1).default(DEFAULT_DPV_SETTINGS.sensitiveResource),
  // DPF (KS FIKS SvarUt and SvarInn) and status polling's shortest interval.
  DPI_AP_DPF_SVARUT_URL: z.string().url().optional(),
  DPI_AP_DPF_SVARUT_ACCOUNTS: list.default([]),
  DPI_AP_DPF_SVARINN_URL: z.string().url().optional(),
  DPI_AP_DPF_SVARINN_ACCOUNTS: list.default([]),
  DPI_AP_DPF_SVARINN_POLL_MS: z.coerce.number().int().positive().default(15 * 60_000),
  // DPF's mail delivery (the seed's mailOnError) and the SMTP server it uses.
  DPI_AP_DPF_MAIL_ON_ERROR: bool.default(false),
  DPI_AP_DPF_MAIL_TO: list.default([]),
  DPI_AP_DPF_MAIL_DEADLINE_MS: z.coerce.number().int().positive().default(24 * 3_600_000),
  DPI_AP_DPF_MAIL_LINK_HOURS: z.coerce.number().int().positive().default(30 * 24),
  DPI_AP_DPF_MAIL_POLL_MS: z.coerce.number().int().positive().default(60_000),
  DPI_AP_SMTP_HOST: z.string().min(1).optional(),
  DPI_AP_SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(25),
  DPI_AP_SMTP_SECURE: bool.default(false),
  DPI_AP_SMTP_REQUIRE_TLS: bool.default(false),
  DPI_AP_SMTP_USER: z.string().min(1).optional(),
  DPI_AP_SMTP_PASSWORD: z.string().optional(),
  DPI_AP_MAIL_FROM: z.string().min(3).optional(),
  DPI_AP_DPO_BROKER_URL: z.string().url().optional(),
  DPI_AP_DPO_RESOURCE: z.string().min(1).default("eformidling-dpo-meldingsutveksling"),
  DPI_AP_DPO_POLL_MS: z.coerce.number().int().positive().default(15_000),
  DPI_AP_DPO_MESSAGE_CHANNEL: z.string().regex(/^[a-zA-Z0-9-_]{1,25}$/).optional(),
  // Served participants in the store, their SMP registration, and the admin API that manages them.
  DPI_AP_SMP_MANAGEMENT_URL: z.string().url().optional(),
  DPI_AP_SMP_MANAGEMENT_USER: z.string().min(1).optional(),
  DPI_AP_SMP_MANAGEMENT_PASSWORD: z.string().min(1).optional(),
  DPI_AP_SMP_ENDPOINT_URL: z.string().url().optional(),
  DPI_AP_PARTICIPANTS_REFRESH_MS: z.coerce.number().int().positive().default(5000),
  DPI_AP_PARTICIPANTS_RETRY_MS: z.coerce.number().int().positive().default(60_000),
  DPI_AP_ADMIN_USER: z.string().min(1).regex(/^[^:]+$/, "must not contain ':'").optional(),
  DPI_AP_ADMIN_PASSWORD: z.string().min(12, "must be at least 12 characters").optional(),
  // The operator console (src/console), at /console when users or an OIDC provider are configured.
  DPI_AP_CONSOLE_USERS: list.optional(),
  DPI_AP_CONSOLE_OIDC_ISSUER: z.string().url().optional(),
  DPI_AP_CONSOLE_OIDC_CLIENT_ID: z.string().min(1).optional(),
  DPI_AP_CONSOLE_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  DPI_AP_CONSOLE_OIDC_NAME: z.string().min(1).max(80).optional(),
  // Space- or comma-separated, as OAuth writes scopes or as the other lists here are written.
  DPI_AP_CONSOLE_OIDC_SCOPE: z.string().transform((v) => v.split(/[\s,]+/).filter(Boolean)).optional(),
  DPI_AP_CONSOLE_OIDC_ROLE_CLAIM: z.string().min(1).optional(),
  DPI_AP_CONSOLE_OIDC_OPERATOR_VALUES: list.optional(),
  DPI_AP_CONSOLE_OIDC_VIEWER_VALUES: list.optional(),
  DPI_AP_CONSOLE_SESSION_IDLE_MINUTES: z.coerce.number().positive().max(24 * 60).default(30),
  DPI_AP_CONSOLE_SESSION_MAX_HOURS: z.coerce.number().positive().max(24 * 7).default(12),
  DPI_AP_CONSOLE_REFRESH_SECONDS: z.coerce.number().int().min(0).max(3600).default(10),
});

/** The SMTP server mail goes through (nodemailer's transport options). */
export interface SmtpConfig {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  /** Refuse to send unless the connection is upgraded with STARTTLS. */
  requireTls: boolean;
  auth: { user: string; pass: string } | undefined;
  from: string;
}

/** DPF's mail delivery (README, "DPF", mail delivery). */
export interface DpfMailConfig {
  smtp: SmtpConfig;
  /** The receiving organisation's address, else `defaultAddress`. */
  addresses: ReadonlyMap<string, string>;
  defaultAddress: string | undefined;
  /** How long a forsendelse may wait in the NextMove inbox before it is mailed. */
  deadlineMs: number;
  /** How long a level-4 mail's download link works. */
  linkHours: number;
  pollMs: number;
}

/** eFormidling's channels, as the NextMove API and the Service Registry name them. */
export const NEXTMOVE_CHANNELS = ["DPI", "DPO", "DPF", "DPV", "DPE"] as const;
export type NextMoveChannel = (typeof NEXTMOVE_CHANNELS)[number];

/** A configured NextMove API user (HTTP Basic) and the organisations it may act for ("*": all served). */
export interface NextMoveUser {
  name: string;
  password: string;
  orgs: string[] | "*";
}

export interface Config {
  host: string;
  port: number;
  /** Base URL clients reach us on; used in downloadurl. Defaults to http://host:port. */
  publicUrl: string | undefined;
  databaseUrl: string;
  /** PostgreSQL: connections per pool (Prisma's, the direct SQL's, and the database payload store's). */
  databasePoolSize: number;
  /** PostgreSQL: the direct SQL prepares its statements by name on each connection (DPI_AP_DATABASE_NAMED_STATEMENTS). */
  databaseNamedStatements: boolean;
  /**
   * SQLite's `synchronous` (DPI_AP_SQLITE_SYNCHRONOUS): "full" syncs the log at every commit, so what was
   * committed survives a power loss; "normal" syncs only at checkpoints, and a power loss can undo the last
   * commits (a process crash cannot).
   */
  sqliteSynchronous: "full" | "normal";
  dataDir: string;
  /**
   * Where payloads live: files under dataDir ("folder"), or chunked rows in the PostgreSQL store ("database",
   * so instances sharing the database need no shared folder).
   */
  blobStore: "folder" | "database";
  /**
   * Where AS4 messages are spooled while they are sent or received: temporary files, swept, never needed after
   * a restart. Under dataDir with the folder store; with the database store under the system's temp folder, so
   * the access point writes nothing to dataDir.
   */
  spoolDir: string;
  /**
   * How much of one AS4 message's transient content (received parts, plaintext, payloads, outbound ciphertext) is
   * kept in memory; past it the rest goes to files in spoolDir. 0 = always files.
   */
  spoolMemoryBytes: number;
  /** How much the spools of all AS4 messages together keep in memory; past it they go to files too. */
  spoolMemoryTotalBytes: number;
  logLevel: string;
  /** Write each log line before going on (DPI_AP_LOG_SYNC); otherwise lines written while a write is under way go out together. */
  logSync: boolean;
  /** Serve Prometheus metrics at GET /metrics. */
  metrics: boolean;
  /**
   * Where /metrics is served: with a port, on its own HTTP server (and not on the API's port); with a token,
   * only to `Authorization: Bearer <token>`.
   */
  metricsServer: { host: string; port: number | undefined; token: string | undefined };
  /** Timeouts of the HTTP server (see listen in app.ts). */
  http: HttpTimeouts;
  /**
   * Sandbox mode: the settings below may be left out (src/main.ts fills them in from src/sim/sandbox-config.ts
   * and from the simulators it starts beside the access point).
   */
  sandbox: { enabled: boolean };
  maskinporten: {
    issuer: string | undefined;
    jwksUrl: string | undefined;
    /** Scopes of which a token must carry at least one. */
    scope: string[];
    audience: string | undefined;
    clockSkewSeconds: number;
  };
  /** PEM files whose certificates are trusted as issuers of business certificates (virksomhetssertifikat). */
  businessTrustAnchors: string[];
  /**
   * The start-up seed of the served participants (the store has the list; README, "Served participants"), as
   * "0192:<orgno>": each is stored as a sender unless it is stored already.
   */
  servedParticipants: string[];
  /** The seeded participants that receive letters: stored as postbox and print provider. */
  letterRecipients: string[];
  /**
   * Served participants: registered in the SMP through its management API when `smpManagement` is set (the
   * AS4 endpoint published there is `endpointUrl`, default public URL + AS4 path); the store is re-read every
   * refreshMs, and pending registrations retried every retryMs.
   */
  participants: {
    smpManagement: { url: string; user: string; password: string } | undefined;
    endpointUrl: string | undefined;
    refreshMs: number;
    retryMs: number;
  };
  /** The admin API (/admin, HTTP Basic); absent: not offered. */
  admin: { user: string; password: string } | undefined;
  /** The operator console (/console); absent: not offered (neither DPI_AP_CONSOLE_USERS nor DPI_AP_CONSOLE_OIDC_ISSUER set). */
  console: ConsoleConfig | undefined;
  /**
   * concurrentUploads: POST /messages/out requests read at the same time; each holds a temporary file of up to
   * dokumentpakkeBytes until it is checked, so this bounds the disk and descriptors a burst can take.
   */
  limits: { dokumentpakkeBytes: number; forretningsmeldingBytes: number; concurrentUploads: number };
  /** PKCS#12 with the operator's business certificate; signs the feil receipts the access point issues itself. */
  operator: { keystore: string | undefined; keystorePassword: string };
  as4: {
    /** PKCS#12 with our AP key and certificate (signing, decryption, TLS-independent). */
    keystore: string | undefined;
    keystorePassword: string;
    path: string;
    timeoutMs: number;
    /** PEM files/folders with the Peppol AP CA(s) whose certificates we accept. */
    trustAnchors: string[];
    revocation: "hard-fail" | "soft-fail";
    /** CRL files used for issuers whose certificates name no responder (or as an offline fallback). */
    staticCrls: string[];
    /** Prefix rewrites for OCSP/CRL URLs named in certificates (a local mirror or responder): [from, to]. */
    revocationUrlMap: [string, string][];
  };
  discovery: {
    mode: "naptr" | "cname" | "static";
    zone: string | undefined;
    dnsServers: string[];
    smpUrl: string | undefined;
    smpTrustAnchors: string[];
    /** http:// SMP URLs are only acceptable against local simulators. */
    allowHttp: boolean;
    spelling: "innbyggerpost" | "Innbyggerpost";
  };
  /** Providers ("0192:<orgno>") that get each letter pushed to a webhook URL, besides polling. */
  pushWebhooks: Map<string, string>;
  /** Retries of the outbox and of webhook pushes: back-off, the window from acceptance, an optional attempt limit. */
  outbox: { pollMs: number; concurrency: number; retry: RetryPolicy };
  /** How often status polling looks for conversations whose next poll is due (channels that poll: DPF, DPV). */
  statusPollMs: number;
  /** The poll interval of a new conversation (the integrasjonspunkt's 1 minute); it grows to 60 minutes over 30 days. */
  statusPollMinIntervalMs: number;
  /** How often payloads and spool files left by interrupted writes are looked for. */
  sweepIntervalMs: number;
  /** The integrasjonspunkt-compatible NextMove API under /api (README, "NextMove API"). */
  nextMove: {
    enabled: boolean;
    users: NextMoveUser[];
    /** Scopes of which a Maskinporten token presented to /api must carry one; its consumer may act for itself. */
    scope: string[];
    /** Organisation numbers (nine digits) this deployment sends and receives for over NextMove. */
    orgs: string[];
    /**
     * Each organisation's Maskinporten client (orgno → client id), whose grants its business certificate signs:
     * its tokens ask the Service Registry and travel in its DPI letters (the integrasjonspunkt's difi.move.oidc.clientId).
     */
    clientIds: ReadonlyMap<string, string>;
    /** Folder with <orgno>.p12 (the organisation's business certificate) for each of `orgs`, and their password. */
    keystoreDir: string | undefined;
    keystorePassword: string;
    /** Channels a message may be routed to; a message for another is refused as the integrasjonspunkt does. */
    channels: NextMoveChannel[];
    /** expectedResponseDateTime when the message does not give one. */
    defaultTtlHours: number;
    /** How long GET /api/messages/in/peek locks a message. */
    lockMs: number;
    /** Channels whose statuses GET /api/statuses/peek hands out (the integrasjonspunkt's statusQueueIncludes). */
    statusQueueChannels: NextMoveChannel[];
    /** Largest single file accepted by POST /api/messages/out/multipart (the integrasjonspunkt's 5 MiB). */
    maxFileBytes: number;
  };
  /** DPE: the Service Bus namespace, its SAS key (from the Service Registry unless configured), our queues' mode. */
  dpe: {
    serviceBusUrl: string | undefined;
    sasKeyName: string;
    /** Configured SAS key; absent: the Service Registry's /sastoken gives it (as the integrasjonspunkt with OIDC on). */
    sasKey: string | undefined;
    mode: "innsyn" | "data" | "meeting";
    /** Organisations whose queues have another mode than `mode` (e.g. eInnsyn's own organisation: data). */
    modes: ReadonlyMap<string, "innsyn" | "data" | "meeting">;
    receiptQueue: string | undefined;
    pollMs: number;
    /**
     * Receive over AMQP 1.0 instead of REST (the integrasjonspunkt's batchRead): the broker's URL with SASL PLAIN
     * credentials (for Azure Service Bus the SAS key name and key), the queues' address prefix, and whether to ask
     * for receiver settle mode "second" (Azure's peek-lock; RabbitMQ refuses it).
     */
    amqp: { url: string; addressPrefix: string; settleSecond: boolean } | undefined;
  };
  /** The eFormidling Service Registry (adressetjeneste) and the Maskinporten client the access point uses for it. */
  serviceRegistry: {
    url: string | undefined;
    /** Require JWS-signed answers, verified against the registry's /jwk. */
    signed: boolean;
    cacheMs: number;
    /** Maskinporten's token endpoint, where each organisation's client (nextMove.clientIds) asks. */
    maskinporten: { tokenUrl: string | undefined };
  };
  /** Altinn 3: the token exchange (Maskinporten token → Altinn token), shared by DPV and DPO (DPI_AP_ALTINN_TOKEN_EXCHANGE_URL). */
  altinn: { tokenExchangeUrl: string | undefined };
  /** DPV: Altinn 3 correspondence through Digdir's proxy (README, "DPV"). */
  dpv: { correspondenceUrl: string | undefined; settings: DpvSettings };
  /** DPF: KS FIKS SvarUt (send, status) and SvarInn (receive), each organisation with accounts of its own. */
  dpf: {
    svarUtUrl: string | undefined;
    /** orgno → SvarUt account: the konto and the Fiks integration that may use it (with the org's Maskinporten token, scope ks:fiks). */
    svarUtAccounts: ReadonlyMap<string, { orgnr: string; kontoId: string; integrasjonId: string; integrasjonPassord: string }>;
    svarInnUrl: string | undefined;
    /** orgno → SvarInn credentials (HTTP Basic). */
    svarInnAccounts: ReadonlyMap<string, { username: string; password: string }>;
    svarInnPollMs: number;
    /** Mail delivery of incoming forsendelser that cannot reach the archive system; undefined: off (the default). */
    mail: DpfMailConfig | undefined;
  };
  /** DPO over the Altinn 3 broker (README, "DPO"): used when nextMove.channels includes DPO. */
  dpo: {
    /** The broker API's base, e.g. https://platform.tt02.altinn.no/broker/api/v1. */
    brokerUrl: string | undefined;
    resource: string;
    pollMs: number;
    /** The integrasjonspunkt's difi.move.dpo.message-channel: only broker files with this reference are ours. */
    messageChannel: string | undefined;
  };
}

export interface HttpTimeouts {
  /** Until the request headers are complete. */
  headersTimeoutMs: number;
  /** Until the whole request, body included, is in. */
  requestTimeoutMs: number;
  /** A connection with no traffic either way for this long (a stalled body, a silent client) is closed. */
  idleTimeoutMs: number;
  /** How long an idle keep-alive connection waits for its next request. */
  keepAliveTimeoutMs: number;
  /** At shutdown, how long requests in flight may finish before their connections are closed. */
  shutdownGraceMs: number;
}

/** The operator console's settings (README, "Console"). */
export interface ConsoleConfig {
  /** Password login's users; none: password login is not offered. */
  users: readonly ConsoleUser[];
  /** Login at an OpenID Connect provider; absent: not offered. */
  oidc: ConsoleOidcSettings | undefined;
  /** A session unused this long ends. */
  idleMs: number;
  /** A session ends this long after login, used or not. */
  maxAgeMs: number;
  /** How often the list and overview refresh themselves; 0: never. */
  refreshSeconds: number;
  /** The session cookie is Secure: DPI_AP_PUBLIC_URL is https. */
  secureCookie: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/**
 * Whether `env` asks for sandbox mode (DPI_AP_SANDBOX, true unless set otherwise). src/main.ts asks before it
 * loads the configuration, to compose the sandbox and apply its defaults; a value that is not a boolean asks
 * for no sandbox, and loadConfig names it.
 */
export function sandboxRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const parsed = bool.optional().safeParse(env.DPI_AP_SANDBOX);
  return parsed.success && (parsed.data ?? true);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const sandbox = e.DPI_AP_SANDBOX;
  // The sandbox trusts test certificates and simulators; never let it face a network by accident.
  if (sandbox && env.DPI_AP_SANDBOX === undefined && !["127.0.0.1", "::1", "localhost"].includes(e.DPI_AP_HOST)) {
    problems.push(`DPI_AP_SANDBOX: sandbox mode is the default only on loopback; DPI_AP_HOST is ${e.DPI_AP_HOST}, so set DPI_AP_SANDBOX=false (production) or =true explicitly`);
  }
  const served = (e.DPI_AP_SERVED_PARTICIPANTS ?? []).map((p) => {
    if (!orgNumber.test(p)) problems.push(`DPI_AP_SERVED_PARTICIPANTS: "${p}" is not an organisation number`);
    return p.startsWith("0192:") ? p : `0192:${p}`;
  });
  const letterRecipients = (e.DPI_AP_LETTER_RECIPIENTS ?? served).map((p) => {
    const id = p.startsWith("0192:") ? p : `0192:${p}`;
    if (!orgNumber.test(p) || !served.some((s) => sameParticipant(s, id))) problems.push(`DPI_AP_LETTER_RECIPIENTS: "${p}" is not one of DPI_AP_SERVED_PARTICIPANTS`);
    return id;
  });
  const anchors = e.DPI_AP_BUSINESS_TRUST_ANCHORS ?? [];
  if (!sandbox) {
    if (!e.DPI_AP_MASKINPORTEN_ISSUER) problems.push("DPI_AP_MASKINPORTEN_ISSUER: required outside sandbox mode");
    if (!e.DPI_AP_MASKINPORTEN_JWKS_URL) problems.push("DPI_AP_MASKINPORTEN_JWKS_URL: required outside sandbox mode");
    if (anchors.length === 0) problems.push("DPI_AP_BUSINESS_TRUST_ANCHORS: required outside sandbox mode");
    if (!e.DPI_AP_AS4_KEYSTORE) problems.push("DPI_AP_AS4_KEYSTORE: required outside sandbox mode");
    if (!e.DPI_AP_PEPPOL_AP_TRUST_ANCHORS?.length) problems.push("DPI_AP_PEPPOL_AP_TRUST_ANCHORS: required outside sandbox mode");
    if (!e.DPI_AP_SMP_TRUST_ANCHORS?.length) problems.push("DPI_AP_SMP_TRUST_ANCHORS: required outside sandbox mode");
    if (!e.DPI_AP_SML_MODE) problems.push("DPI_AP_SML_MODE: required outside sandbox mode (naptr, cname or static)");
  }
  const smlMode = e.DPI_AP_SML_MODE ?? "naptr";
  if (smlMode === "static" && !e.DPI_AP_SMP_URL) problems.push("DPI_AP_SMP_URL: required when DPI_AP_SML_MODE=static");
  if (smlMode !== "static" && !sandbox && !e.DPI_AP_SML_ZONE) problems.push("DPI_AP_SML_ZONE: required outside sandbox mode with DPI_AP_SML_MODE=" + smlMode);
  const revocationUrlMap = (e.DPI_AP_REVOCATION_URL_MAP ?? []).map((pair) => {
    const i = pair.indexOf("=");
    if (i <= 0) problems.push(`DPI_AP_REVOCATION_URL_MAP: "${pair}" is not prefix=replacement`);
    return [pair.slice(0, i), pair.slice(i + 1)] as [string, string];
  });
  if (e.DPI_AP_HTTP_HEADERS_TIMEOUT_MS > e.DPI_AP_HTTP_REQUEST_TIMEOUT_MS) {
    problems.push("DPI_AP_HTTP_HEADERS_TIMEOUT_MS: must not exceed DPI_AP_HTTP_REQUEST_TIMEOUT_MS");
  }
  if (e.DPI_AP_METRICS_PORT !== undefined && e.DPI_AP_METRICS_PORT !== 0 && e.DPI_AP_METRICS_PORT === e.DPI_AP_PORT) {
    problems.push("DPI_AP_METRICS_PORT: must differ from DPI_AP_PORT");
  }
  const pushWebhooks = new Map<string, string>();
  for (const pair of e.DPI_AP_PUSH_WEBHOOKS ?? []) {
    const i = pair.indexOf("=");
    const org = pair.slice(0, i);
    const url = pair.slice(i + 1);
    if (i <= 0 || !orgNumber.test(org) || !URL.canParse(url)) problems.push(`DPI_AP_PUSH_WEBHOOKS: "${pair}" is not <orgno>=<url>`);
    else pushWebhooks.set(org.startsWith("0192:") ? org : `0192:${org}`, url);
  }
  const nextMoveChannels = channelList("DPI_AP_NEXTMOVE_CHANNELS", e.DPI_AP_NEXTMOVE_CHANNELS, problems);
  const statusQueueChannels = channelList("DPI_AP_NEXTMOVE_STATUS_QUEUE_CHANNELS", e.DPI_AP_NEXTMOVE_STATUS_QUEUE_CHANNELS, problems);
  const nextMoveOrgs = (e.DPI_AP_NEXTMOVE_ORGS ?? served.map((p) => p.slice("0192:".length))).map((o) => {
    if (!orgNumber.test(o)) problems.push(`DPI_AP_NEXTMOVE_ORGS: "${o}" is not an organisation number`);
    return o.replace(/^0192:/, "");
  });
  const nextMoveUsers = (e.DPI_AP_NEXTMOVE_USERS ?? []).map((u) => parseNextMoveUser(u, problems));
  const nextMoveClientIds = new Map<string, string>();
  for (const pair of e.DPI_AP_NEXTMOVE_CLIENT_IDS ?? []) {
    const i = pair.indexOf("=");
    const org = pair.slice(0, i).replace(/^0192:/, "");
    const clientId = pair.slice(i + 1);
    if (i <= 0 || !/^\d{9}$/.test(org) || clientId.trim() === "") problems.push(`DPI_AP_NEXTMOVE_CLIENT_IDS: "${pair}" is not <orgno>=<client id>`);
    else nextMoveClientIds.set(org, clientId);
  }
  if (e.DPI_AP_NEXTMOVE && !sandbox) {
    if (!e.DPI_AP_SERVICE_REGISTRY_URL) problems.push("DPI_AP_SERVICE_REGISTRY_URL: required for the NextMove API outside sandbox mode (or set DPI_AP_NEXTMOVE=false)");
    if (!e.DPI_AP_NEXTMOVE_KEYSTORE_DIR) problems.push("DPI_AP_NEXTMOVE_KEYSTORE_DIR: required for the NextMove API outside sandbox mode (or set DPI_AP_NEXTMOVE=false)");
    if (nextMoveChannels.includes("DPE") && !e.DPI_AP_DPE_SERVICEBUS_URL) problems.push("DPI_AP_DPE_SERVICEBUS_URL: required when DPI_AP_NEXTMOVE_CHANNELS includes DPE outside sandbox mode");
    if (!e.DPI_AP_MASKINPORTEN_TOKEN_URL) problems.push("DPI_AP_MASKINPORTEN_TOKEN_URL: required for the organisations' Maskinporten clients outside sandbox mode (or set DPI_AP_NEXTMOVE=false)");
    if (nextMoveChannels.includes("DPV")) {
      if (!e.DPI_AP_DPV_CORRESPONDENCE_URL) problems.push("DPI_AP_DPV_CORRESPONDENCE_URL: required for DPV outside sandbox mode (or leave DPV out of DPI_AP_NEXTMOVE_CHANNELS)");
      if (!e.DPI_AP_ALTINN_TOKEN_EXCHANGE_URL) problems.push("DPI_AP_ALTINN_TOKEN_EXCHANGE_URL: required for DPV outside sandbox mode (or leave DPV out of DPI_AP_NEXTMOVE_CHANNELS)");
    }
    if (nextMoveChannels.includes("DPO") && (!e.DPI_AP_DPO_BROKER_URL || !e.DPI_AP_ALTINN_TOKEN_EXCHANGE_URL)) problems.push("DPI_AP_DPO_BROKER_URL and DPI_AP_ALTINN_TOKEN_EXCHANGE_URL: required for DPO outside sandbox mode");
  }
  const dpf = dpfConfig(e, nextMoveChannels.includes("DPF") && e.DPI_AP_NEXTMOVE, problems);
  const smpManagementSet = [e.DPI_AP_SMP_MANAGEMENT_URL, e.DPI_AP_SMP_MANAGEMENT_USER, e.DPI_AP_SMP_MANAGEMENT_PASSWORD].filter((v) => v !== undefined).length;
  if (smpManagementSet !== 0 && smpManagementSet !== 3) problems.push("DPI_AP_SMP_MANAGEMENT_URL, DPI_AP_SMP_MANAGEMENT_USER and DPI_AP_SMP_MANAGEMENT_PASSWORD: set all three or none");
  if ((e.DPI_AP_ADMIN_USER === undefined) !== (e.DPI_AP_ADMIN_PASSWORD === undefined)) problems.push("DPI_AP_ADMIN_USER and DPI_AP_ADMIN_PASSWORD: set both or neither");
  if (e.DPI_AP_BLOB_STORE === "database" && !/^(postgres(ql)?:\/\/|file:)/.test(e.DPI_AP_DATABASE_URL)) {
    problems.push('DPI_AP_BLOB_STORE: "database" keeps payloads in the store DPI_AP_DATABASE_URL names and needs a postgresql:// or file: (SQLite) URL');
  }
  const consoleUsers = parseConsoleUsers(e.DPI_AP_CONSOLE_USERS ?? [], problems);
  const consoleOidc = parseConsoleOidc(e, { sandbox, publicUrl: e.DPI_AP_PUBLIC_URL }, problems);
  if (e.DPI_AP_CONSOLE_SESSION_IDLE_MINUTES * 60 > e.DPI_AP_CONSOLE_SESSION_MAX_HOURS * 3600) problems.push("DPI_AP_CONSOLE_SESSION_IDLE_MINUTES: must not exceed DPI_AP_CONSOLE_SESSION_MAX_HOURS");
  if (problems.length) throw new ConfigError(problems);
  return {
    host: e.DPI_AP_HOST,
    port: e.DPI_AP_PORT,
    publicUrl: e.DPI_AP_PUBLIC_URL?.replace(/\/+$/, ""),
    databaseUrl: e.DPI_AP_DATABASE_URL,
    databasePoolSize: e.DPI_AP_DATABASE_POOL_SIZE,
    databaseNamedStatements: e.DPI_AP_DATABASE_NAMED_STATEMENTS,
    sqliteSynchronous: e.DPI_AP_SQLITE_SYNCHRONOUS,
    dataDir: e.DPI_AP_DATA_DIR,
    blobStore: e.DPI_AP_BLOB_STORE,
    // A SQLite store's start-up sweep empties its spool folder at once (nothing is in flight in its one process):
    // it keeps it under its own data folder even with the database blob store, never in a temp folder shared.
    spoolDir: e.DPI_AP_SPOOL_DIR ?? (e.DPI_AP_BLOB_STORE === "database" && !e.DPI_AP_DATABASE_URL.startsWith("file:") ? path.join(os.tmpdir(), "dpi-ap-spool") : path.join(e.DPI_AP_DATA_DIR, "as4-tmp")),
    spoolMemoryBytes: e.DPI_AP_AS4_MEMORY_SPOOL_BYTES,
    spoolMemoryTotalBytes: e.DPI_AP_AS4_MEMORY_SPOOL_TOTAL_BYTES,
    logLevel: e.DPI_AP_LOG_LEVEL,
    logSync: e.DPI_AP_LOG_SYNC,
    metrics: e.DPI_AP_METRICS,
    metricsServer: { host: e.DPI_AP_METRICS_HOST ?? e.DPI_AP_HOST, port: e.DPI_AP_METRICS_PORT, token: e.DPI_AP_METRICS_TOKEN },
    http: {
      headersTimeoutMs: e.DPI_AP_HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.DPI_AP_HTTP_REQUEST_TIMEOUT_MS,
      idleTimeoutMs: e.DPI_AP_HTTP_IDLE_TIMEOUT_MS,
      keepAliveTimeoutMs: e.DPI_AP_HTTP_KEEP_ALIVE_TIMEOUT_MS,
      shutdownGraceMs: e.DPI_AP_HTTP_SHUTDOWN_GRACE_MS,
    },
    sandbox: { enabled: sandbox },
    maskinporten: {
      issuer: e.DPI_AP_MASKINPORTEN_ISSUER,
      jwksUrl: e.DPI_AP_MASKINPORTEN_JWKS_URL,
      scope: e.DPI_AP_MASKINPORTEN_SCOPE,
      audience: e.DPI_AP_MASKINPORTEN_AUDIENCE,
      clockSkewSeconds: e.DPI_AP_MASKINPORTEN_CLOCK_SKEW_SECONDS,
    },
    businessTrustAnchors: anchors,
    servedParticipants: served,
    letterRecipients,
    participants: {
      smpManagement:
        e.DPI_AP_SMP_MANAGEMENT_URL && e.DPI_AP_SMP_MANAGEMENT_USER && e.DPI_AP_SMP_MANAGEMENT_PASSWORD
          ? { url: e.DPI_AP_SMP_MANAGEMENT_URL.replace(/\/+$/, ""), user: e.DPI_AP_SMP_MANAGEMENT_USER, password: e.DPI_AP_SMP_MANAGEMENT_PASSWORD }
          : undefined,
      endpointUrl: e.DPI_AP_SMP_ENDPOINT_URL,
      refreshMs: e.DPI_AP_PARTICIPANTS_REFRESH_MS,
      retryMs: e.DPI_AP_PARTICIPANTS_RETRY_MS,
    },
    admin: e.DPI_AP_ADMIN_USER && e.DPI_AP_ADMIN_PASSWORD ? { user: e.DPI_AP_ADMIN_USER, password: e.DPI_AP_ADMIN_PASSWORD } : undefined,
    console:
      consoleUsers.length > 0 || consoleOidc
        ? {
            users: consoleUsers,
            oidc: consoleOidc,
            idleMs: Math.round(e.DPI_AP_CONSOLE_SESSION_IDLE_MINUTES * 60_000),
            maxAgeMs: Math.round(e.DPI_AP_CONSOLE_SESSION_MAX_HOURS * 3_600_000),
            refreshSeconds: e.DPI_AP_CONSOLE_REFRESH_SECONDS,
            secureCookie: e.DPI_AP_PUBLIC_URL?.startsWith("https:") ?? false,
          }
        : undefined,
    limits: {
      dokumentpakkeBytes: e.DPI_AP_MAX_DOKUMENTPAKKE_BYTES,
      forretningsmeldingBytes: e.DPI_AP_MAX_FORRETNINGSMELDING_BYTES,
      concurrentUploads: e.DPI_AP_MAX_CONCURRENT_UPLOADS,
    },
    operator: {
      keystore: e.DPI_AP_OPERATOR_KEYSTORE,
      keystorePassword: e.DPI_AP_OPERATOR_KEYSTORE_PASSWORD ?? "",
    },
    as4: {
      keystore: e.DPI_AP_AS4_KEYSTORE,
      keystorePassword: e.DPI_AP_AS4_KEYSTORE_PASSWORD ?? "",
      path: e.DPI_AP_AS4_PATH,
      timeoutMs: e.DPI_AP_AS4_TIMEOUT_MS,
      trustAnchors: e.DPI_AP_PEPPOL_AP_TRUST_ANCHORS ?? [],
      revocation: e.DPI_AP_REVOCATION,
      staticCrls: e.DPI_AP_STATIC_CRLS ?? [],
      revocationUrlMap,
    },
    discovery: {
      mode: smlMode,
      zone: e.DPI_AP_SML_ZONE,
      dnsServers: e.DPI_AP_DNS_SERVERS ?? [],
      smpUrl: e.DPI_AP_SMP_URL,
      smpTrustAnchors: e.DPI_AP_SMP_TRUST_ANCHORS ?? [],
      allowHttp: e.DPI_AP_SMP_ALLOW_HTTP ?? false,
      spelling: e.DPI_AP_DOCUMENT_TYPE_SPELLING,
    },
    pushWebhooks,
    outbox: {
      pollMs: e.DPI_AP_OUTBOX_POLL_MS,
      concurrency: e.DPI_AP_OUTBOX_CONCURRENCY,
      retry: {
        baseDelayMs: e.DPI_AP_RETRY_BASE_MS,
        maxDelayMs: e.DPI_AP_RETRY_MAX_MS,
        windowMs: Math.round(e.DPI_AP_RETRY_WINDOW_HOURS * 3_600_000),
        maxAttempts: e.DPI_AP_RETRY_MAX_ATTEMPTS,
      },
    },
    statusPollMs: e.DPI_AP_STATUS_POLL_MS,
    statusPollMinIntervalMs: e.DPI_AP_STATUS_POLL_MIN_INTERVAL_MS,
    sweepIntervalMs: Math.round(e.DPI_AP_SWEEP_INTERVAL_MINUTES * 60_000),
    nextMove: {
      enabled: e.DPI_AP_NEXTMOVE,
      users: nextMoveUsers,
      scope: e.DPI_AP_NEXTMOVE_MASKINPORTEN_SCOPE,
      orgs: nextMoveOrgs,
      clientIds: nextMoveClientIds,
      keystoreDir: e.DPI_AP_NEXTMOVE_KEYSTORE_DIR,
      keystorePassword: e.DPI_AP_NEXTMOVE_KEYSTORE_PASSWORD ?? "",
      channels: nextMoveChannels,
      defaultTtlHours: e.DPI_AP_NEXTMOVE_TTL_HOURS,
      lockMs: Math.round(e.DPI_AP_NEXTMOVE_LOCK_MINUTES * 60_000),
      statusQueueChannels,
      maxFileBytes: e.DPI_AP_NEXTMOVE_MAX_FILE_BYTES,
    },
    dpe: {
      serviceBusUrl: e.DPI_AP_DPE_SERVICEBUS_URL?.replace(/\/+$/, ""),
      sasKeyName: e.DPI_AP_DPE_SAS_KEY_NAME,
      sasKey: e.DPI_AP_DPE_SAS_KEY,
      mode: e.DPI_AP_DPE_MODE,
      modes: dpeModes(e.DPI_AP_DPE_MODES, problems),
      receiptQueue: e.DPI_AP_DPE_RECEIPT_QUEUE,
      pollMs: e.DPI_AP_DPE_POLL_MS,
      amqp: e.DPI_AP_DPE_AMQP_URL ? { url: e.DPI_AP_DPE_AMQP_URL, addressPrefix: e.DPI_AP_DPE_AMQP_ADDRESS_PREFIX, settleSecond: e.DPI_AP_DPE_AMQP_SETTLE_SECOND } : undefined,
    },
    serviceRegistry: {
      url: e.DPI_AP_SERVICE_REGISTRY_URL?.replace(/\/+$/, ""),
      signed: e.DPI_AP_SERVICE_REGISTRY_SIGNED,
      cacheMs: e.DPI_AP_SERVICE_REGISTRY_CACHE_SECONDS * 1000,
      maskinporten: { tokenUrl: e.DPI_AP_MASKINPORTEN_TOKEN_URL },
    },
    altinn: { tokenExchangeUrl: e.DPI_AP_ALTINN_TOKEN_EXCHANGE_URL },
    dpv: {
      correspondenceUrl: e.DPI_AP_DPV_CORRESPONDENCE_URL?.replace(/\/+$/, ""),
      settings: {
        notifyEmail: e.DPI_AP_DPV_NOTIFY_EMAIL,
        notifySms: e.DPI_AP_DPV_NOTIFY_SMS,
        notificationText: e.DPI_AP_DPV_NOTIFICATION_TEXT,
        sensitiveNotificationText: e.DPI_AP_DPV_SENSITIVE_NOTIFICATION_TEXT,
        emailSubject: e.DPI_AP_DPV_EMAIL_SUBJECT,
        daysToReply: e.DPI_AP_DPV_DAYS_TO_REPLY,
        enableDueDate: e.DPI_AP_DPV_DAYS_TO_REPLY > 0,
        sensitiveResource: e.DPI_AP_DPV_SENSITIVE_RESOURCE,
      },
    },
    dpo: {
      brokerUrl: e.DPI_AP_DPO_BROKER_URL?.replace(/\/+$/, ""),
      resource: e.DPI_AP_DPO_RESOURCE,
      pollMs: e.DPI_AP_DPO_POLL_MS,
      messageChannel: e.DPI_AP_DPO_MESSAGE_CHANNEL,
    },
    dpf,
  };
}

/** DPF's settings; `on`: DPF is one of the NextMove channels, so SvarUt's URL is required. */
function dpfConfig(e: z.output<typeof schema>, on: boolean, problems: string[]): Config["dpf"] {
  const pairs = <T>(name: string, values: string[], make: (user: string, password: string) => T) => {
    const m = new Map<string, T>();
    for (const v of values) {
      const eq = v.indexOf("=");
      const colon = v.indexOf(":", eq + 1);
      const org = v.slice(0, eq);
      if (eq <= 0 || colon < 0 || !/^\d{9}$/.test(org) || colon === eq + 1) problems.push(`${name}: "${v.replace(/:.*/, ":…")}" is not <orgno>=<user>:<password>`);
      else m.set(org, make(v.slice(eq + 1, colon), v.slice(colon + 1)));
    }
    return m;
  };
  const svarUtAccounts = new Map<string, { orgnr: string; kontoId: string; integrasjonId: string; integrasjonPassord: string }>();
  // <orgno>=<kontoId>:<integrasjonId>:<integrasjonPassord>: the two ids are UUIDs, so the password may hold colons.
  for (const v of e.DPI_AP_DPF_SVARUT_ACCOUNTS) {
    const m = /^(\d{9})=([0-9a-fA-F-]{36}):([0-9a-fA-F-]{36}):(.+)$/.exec(v);
    if (!m) problems.push(`DPI_AP_DPF_SVARUT_ACCOUNTS: "${v.replace(/^([^=]*=[^:]*):.*$/s, "$1:…")}" is not <orgno>=<kontoId>:<integrasjonId>:<integrasjonPassord>`);
    else svarUtAccounts.set(m[1]!, { orgnr: m[1]!, kontoId: m[2]!, integrasjonId: m[3]!, integrasjonPassord: m[4]! });
  }
  const svarInnAccounts = pairs("DPI_AP_DPF_SVARINN_ACCOUNTS", e.DPI_AP_DPF_SVARINN_ACCOUNTS, (username, password) => ({ username, password }));
  if (on && !e.DPI_AP_DPF_SVARUT_URL && !e.DPI_AP_SANDBOX) problems.push("DPI_AP_DPF_SVARUT_URL: required when DPI_AP_NEXTMOVE_CHANNELS includes DPF");
  if (svarInnAccounts.size > 0 && !e.DPI_AP_DPF_SVARINN_URL && !e.DPI_AP_SANDBOX) problems.push("DPI_AP_DPF_SVARINN_URL: required with DPI_AP_DPF_SVARINN_ACCOUNTS");
  return {
    svarUtUrl: e.DPI_AP_DPF_SVARUT_URL?.replace(/\/+$/, ""),
    svarUtAccounts,
    svarInnUrl: e.DPI_AP_DPF_SVARINN_URL?.replace(/\/+$/, ""),
    svarInnAccounts,
    svarInnPollMs: e.DPI_AP_DPF_SVARINN_POLL_MS,
    mail: dpfMailConfig(e, problems),
  };
}

/** DPF's mail settings: off unless DPI_AP_DPF_MAIL_ON_ERROR; then the SMTP server, the sender and an address are required. */
function dpfMailConfig(e: z.output<typeof schema>, problems: string[]): DpfMailConfig | undefined {
  if (!e.DPI_AP_DPF_MAIL_ON_ERROR) return undefined;
  const addresses = new Map<string, string>();
  let defaultAddress: string | undefined;
  const address = /^[^\s@<>,]+@[^\s@<>,]+$/;
  for (const item of e.DPI_AP_DPF_MAIL_TO) {
    const eq = item.indexOf("=");
    const [org, to] = eq < 0 ? [undefined, item] : [item.slice(0, eq), item.slice(eq + 1)];
    if (!address.test(to) || (org !== undefined && !/^\d{9}$/.test(org))) problems.push(`DPI_AP_DPF_MAIL_TO: "${item}" is neither an address nor <orgno>=<address>`);
    else if (org === undefined) defaultAddress = to;
    else addresses.set(org, to);
  }
  if (addresses.size === 0 && !defaultAddress) problems.push("DPI_AP_DPF_MAIL_TO: required with DPI_AP_DPF_MAIL_ON_ERROR (an address, or <orgno>=<address> pairs)");
  // The sandbox fills in its SMTP simulator.
  if (!e.DPI_AP_SMTP_HOST && !e.DPI_AP_SANDBOX) problems.push("DPI_AP_SMTP_HOST: required with DPI_AP_DPF_MAIL_ON_ERROR");
  if (!e.DPI_AP_MAIL_FROM) problems.push("DPI_AP_MAIL_FROM: required with DPI_AP_DPF_MAIL_ON_ERROR");
  if (e.DPI_AP_SMTP_USER && e.DPI_AP_SMTP_PASSWORD === undefined) problems.push("DPI_AP_SMTP_PASSWORD: required with DPI_AP_SMTP_USER");
  return {
    smtp: {
      host: e.DPI_AP_SMTP_HOST ?? "",
      port: e.DPI_AP_SMTP_PORT,
      secure: e.DPI_AP_SMTP_SECURE,
      requireTls: e.DPI_AP_SMTP_REQUIRE_TLS,
      auth: e.DPI_AP_SMTP_USER ? { user: e.DPI_AP_SMTP_USER, pass: e.DPI_AP_SMTP_PASSWORD ?? "" } : undefined,
      from: e.DPI_AP_MAIL_FROM ?? "",
    },
    addresses,
    defaultAddress,
    deadlineMs: e.DPI_AP_DPF_MAIL_DEADLINE_MS,
    linkHours: e.DPI_AP_DPF_MAIL_LINK_HOURS,
    pollMs: e.DPI_AP_DPF_MAIL_POLL_MS,
  };
}

/** DPI_AP_DPE_MODES: `<orgno>=<innsyn|data|meeting>` pairs. */
function dpeModes(pairs: string[], problems: string[]): Map<string, "innsyn" | "data" | "meeting"> {
  const m = new Map<string, "innsyn" | "data" | "meeting">();
  for (const pair of pairs) {
    const [org = "", mode = ""] = pair.split("=");
    if (!/^\d{9}$/.test(org) || !["innsyn", "data", "meeting"].includes(mode)) problems.push(`DPI_AP_DPE_MODES: "${pair}" is not <orgno>=innsyn|data|meeting`);
    else m.set(org, mode as "innsyn" | "data" | "meeting");
  }
  return m;
}

function channelList(name: string, values: string[], problems: string[]): NextMoveChannel[] {
  return values.flatMap((v) => {
    const c = v.toUpperCase();
    if ((NEXTMOVE_CHANNELS as readonly string[]).includes(c)) return [c as NextMoveChannel];
    problems.push(`${name}: "${v}" is not one of ${NEXTMOVE_CHANNELS.join(", ")}`);
    return [];
  });
}

/** "name:password:orgno|orgno" or "name:password:*"; the password may itself hold colons. */
function parseNextMoveUser(spec: string, problems: string[]): NextMoveUser {
  const first = spec.indexOf(":");
  const last = spec.lastIndexOf(":");
  const name = spec.slice(0, first);
  const password = spec.slice(first + 1, last);
  const orgs = spec.slice(last + 1);
  if (first <= 0 || last === first || password === "" || orgs === "") {
    problems.push(`DPI_AP_NEXTMOVE_USERS: an entry is not name:password:orgno|orgno (or :*)`);
    return { name, password, orgs: [] };
  }
  if (orgs === "*") return { name, password, orgs: "*" };
  const list = orgs.split("|").map((o) => o.trim().replace(/^0192:/, ""));
  for (const o of list) if (!/^\d{9}$/.test(o)) problems.push(`DPI_AP_NEXTMOVE_USERS: user "${name}": "${o}" is not an organisation number`);
  return { name, password, orgs: list };
}
