/** The process's open-file limit, which bounds how many connections it can hold. */
import { readFileSync } from 'node:fs';

/** Descriptors kept for everything that is not a client connection: stdio, the signing thread, Redis, watched files. */
export const RESERVED_DESCRIPTORS = 64;

/**
 * The soft `RLIMIT_NOFILE` (`ulimit -n`), read from /proc on Linux; `undefined` where it cannot be read.
 *
 * @example
 * openFileLimit(); // 1024
 */
export function openFileLimit(read: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | undefined {
  try {
    const soft = /^Max open files\s+(\d+|unlimited)/m.exec(read())?.[1];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/**
 * The connection cap that fits the file limit: at the limit, accept() fails and callers are refused
 * however the cap sheds, so the cap stays `RESERVED_DESCRIPTORS` below it.
 *
 * @example
 * connectionCapFor(1000, 256); // 192
 */
export function connectionCapFor(wanted: number, fileLimit: number | undefined): number {
  if (fileLimit === undefined) return wanted;
  return Math.max(1, Math.min(wanted, fileLimit - RESERVED_DESCRIPTORS));
}
