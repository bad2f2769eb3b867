/**
 * Keeps GitHub tokens out of logs, files and error messages. Every message that leaves the GitHub
 * layer passes through `scrubSecrets`: the configured token is replaced verbatim, and anything that
 * looks like a GitHub token or an Authorization header value is masked too (a server may echo one).
 */
const TOKEN_SHAPES = [
  /\bgh[pousr]_[A-Za-z0-9_]{16,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\b(authorization\s*[:=]\s*"?)(?:(?:token|bearer|basic)\s+)?[^\s",}]+/gi,
];

const registered = new Set<string>();

/** Remembers a secret so that every later `scrubSecrets` call masks it (process-wide). */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4) registered.add(secret);
}

export function scrubSecrets(text: string, ...secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of [...secrets, ...registered]) {
    if (s && s.length >= 4) out = out.split(s).join('[REDACTED]');
  }
  out = out.replace(TOKEN_SHAPES[0]!, '[REDACTED]').replace(TOKEN_SHAPES[1]!, '[REDACTED]');
  out = out.replace(TOKEN_SHAPES[2]!, (_m, prefix: string) => `${prefix}[REDACTED]`);
  return out;
}

/** The message of any thrown value, scrubbed. */
export function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return scrubSecrets(text);
}
