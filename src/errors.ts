// The few named errors handlers throw; one handler per app turns them into pages or JSON.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export function notFound(message = "Not Found"): HttpError {
  return new HttpError(404, message);
}

export function unauthorized(message = "You have to sign in first"): HttpError {
  return new HttpError(401, message);
}

/** Reads a form or JSON field as a string; anything else (missing, array, object) is undefined. */
export function field(body: unknown, name: string): string | undefined {
  if (!body || typeof body !== "object") return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}
