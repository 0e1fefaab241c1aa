/**
 * Waiting for something another process does (a watchdog unmounting, a
 * server exiting): polls `cond` until it holds or `ms` has passed. The
 * limit bounds a failure, it is not what a test asserts.
 */
export async function waitFor(cond: () => boolean, ms: number, every = 20): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, every));
  }
  return cond();
}
