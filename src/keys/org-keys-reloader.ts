/** Reloads ORG_KEYS_FILE into the key ring: the reloading file (config/reloading-file.ts) with the org keys' parser. */
import { createReloadingFile, type ReloadingFile } from '../config/reloading-file.js';
import type { Logger } from '../logging/create-logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { assertDistinctKids, type KeyRing } from './key-ring.js';
import { publishKeyInfo } from './key-set-reloader.js';
import { OrgKeysError, parseOrgKeys } from './org-keys.js';
import type { SigningThread } from './signing-thread.js';

export interface OrgKeysReloaderOptions {
  readonly path: string;
  readonly initialContent: string;
  readonly keyRing: KeyRing;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly signingThread?: SigningThread | undefined;
  readonly debounceMs?: number;
}

/**
 * A broken file is refused whole and the org keys in hand keep signing; the log names the org and
 * the problem, never the material, and tokenvend_key_reload_failures_total counts it.
 *
 * @example
 * const orgKeys = createOrgKeysReloader({ path, initialContent, keyRing, logger, metrics });
 * orgKeys.watch();
 */
export function createOrgKeysReloader({ path, initialContent, keyRing, logger, metrics, signingThread, debounceMs }: OrgKeysReloaderOptions): ReloadingFile {
  return createReloadingFile({
    variable: 'ORG_KEYS_FILE',
    path,
    initialContent,
    event: 'org_keys',
    logger,
    ...(debounceMs !== undefined && { debounceMs }),
    parse: async (content) => {
      const orgKeys = await parseOrgKeys(content, { signingThread });
      assertDistinctKids(keyRing.keys, orgKeys, (problem) => new OrgKeysError(problem));
      return orgKeys;
    },
    isRejection: (error) => error instanceof OrgKeysError,
    apply: (orgKeys) => {
      keyRing.replaceOrgKeys(orgKeys);
      publishKeyInfo(keyRing, metrics);
    },
    describe: (orgKeys) => ({ orgs: orgKeys.size }),
    onRejected: () => metrics.keyReloadFailed(),
  });
}
