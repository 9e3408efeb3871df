// Waiting for a condition instead of sleeping a guessed time: poll until it holds.

/**
 * Checks `check` every `everyMs` until it holds (true) or `timeoutMs` has passed (false: the
 * caller asserts on it, so a condition that never comes fails the test instead of hanging it).
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 10,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
