// What a failed request says: the message, the JSON-RPC error code and the server's error kind.
// Plain functions of the error value (no VS Code API), shared by every module that shows errors.

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}

/** JSON-RPC error code of a failed request, if any. */
export function errorCode(error: unknown): number | undefined {
  if (error && typeof error === 'object' && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

/** `data.kind` of a failed request (the server sets it, e.g. `auth` for a missing API key). */
export function errorKind(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'data' in error) {
    const data = (error as { data?: { kind?: unknown } }).data;
    if (data && typeof data.kind === 'string') return data.kind;
  }
  return undefined;
}
