// health-check.json: each probe of the app after a sync, passed or not, with its latency.
// A result type only: renderers read it from here, never from the job that produces it.

export interface ProbeResult {
  probe: string;
  ok: boolean;
  latencyMs: number | null;
  detail: string;
  attempts: number;
}

export interface HealthResult {
  target: { name: string; display: string };
  probes: ProbeResult[];
  durationMs: number;
}
