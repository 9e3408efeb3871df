// notify.json: the message about a finished run, and whether a Slack or Discord webhook took it.
// A result type only: renderers read it from here, never from the job that produces it.

/** The incoming-webhook dialects notify speaks. */
export type NotifyFormat = 'slack' | 'discord';

/** How the run ended, as the message says it. */
export type RunOutcome = 'success' | 'dry-run' | 'failure' | 'rolled-back' | 'rollback-failed';

/** One line of the message: `Changed: 58,726 rows in 6 tables synced from dev`. Plain text. */
export interface MessageFact {
  label: string;
  text: string;
}

/** The message before any webhook dialect: what both payloads and the summary are made from. */
export interface NotifyMessage {
  outcome: RunOutcome;
  environment: string;
  /** One line, plain text, with the outcome's emoji: what a push notification shows. */
  title: string;
  /** Where the run went: `dev → staging (replica)`. */
  route: string;
  facts: MessageFact[];
  runUrl: string | null;
}

/** Slack incoming webhook body: `text` in Slack's mrkdwn. */
export interface SlackPayload {
  text: string;
}

/** Discord webhook body: a one-line `content` and one embed; no mention ever pings anyone. */
export interface DiscordPayload {
  content: string;
  embeds: { title: string; description: string; color: number; url?: string }[];
  allowed_mentions: { parse: never[] };
}

export type NotifyPayload = SlackPayload | DiscordPayload;

/** What happened to the message. The webhook's address is a secret: only its host is kept. */
export interface NotifyDelivery {
  /** false: NOTIFY_WEBHOOK_URL was not set, nothing was sent. */
  configured: boolean;
  format: NotifyFormat | null;
  /** The webhook's host (`hooks.slack.com`); never its path, which holds the token. */
  host: string | null;
  /** The webhook's HTTP status; null when there was no answer (or nothing was sent). */
  status: number | null;
  /** true only for a 2xx answer. */
  delivered: boolean;
  /** Why it was not delivered: `HTTP 500: invalid_payload`, `no answer within 10000 ms`, `ECONNREFUSED`. */
  error: string | null;
  /** How long the POST took. */
  ms: number | null;
}

export interface NotifyResult {
  /** The report.json the message was made from. */
  report: string;
  message: NotifyMessage;
  delivery: NotifyDelivery;
  /** The exact JSON body posted (it holds no secret); null when nothing was sent. */
  payload: NotifyPayload | null;
}
