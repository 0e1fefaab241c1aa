/** The errno name a synchronous call fails with (Node's `code`), or undefined when it succeeds. */
export function errorCode(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code;
  }
}
