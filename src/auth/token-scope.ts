/**
 * The rules that validate Vapi's token scope (the `token` claim `{ tag, restrictions? }` of Vapi's
 * "JWT Authentication" page) in a request or in a CALLERS entry. The types are @tokenvend/verify's,
 * the one description of the claim that consumers read too; the schemas below must produce them.
 */
import { z } from 'zod';
import type { TokenRestrictions, TokenTag } from '@tokenvend/verify';
import { ORG_ID_PATTERN } from '../config/options.js';
import type { AssertTrue, SameShape } from './same-shape.js';

export type { TokenRestrictions, TokenScope, TokenTag } from '@tokenvend/verify';

/** Every TokenTag, as the list the schemas need at run time (checked against the type below). */
export const TOKEN_TAGS = ['private', 'public'] as const;

/** At most this many entries per list: a scope travels in every token. */
const MAX_LIST = 64;

/**
 * An origin as browsers send it (RFC 6454 §6.1): `scheme://host[:port]`, lowercase, no path, no
 * trailing slash. Anything else could never equal an `Origin` header, so it is refused, not fixed.
 */
export function isOrigin(value: string): boolean {
  if (value.length > 256 || !/^https?:\/\//.test(value)) return false;
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

const origins = z
  .array(z.string().refine(isOrigin, 'must be origins written as scheme://host[:port] (lowercase, no path or trailing slash)'), 'must be an array of origins')
  .min(1, 'must list at least one origin')
  .max(MAX_LIST, `must list at most ${MAX_LIST} origins`);

const assistantIds = z
  .array(z.string().regex(ORG_ID_PATTERN, 'must be ids of 1-128 characters from A-Z a-z 0-9 . _ : @ -'), 'must be an array of assistant ids')
  .min(1, 'must list at least one assistant id')
  .max(MAX_LIST, `must list at most ${MAX_LIST} assistant ids`);

/** Field names exactly as Vapi spells them; anything else is refused. */
export const restrictionsSchema = z.strictObject({
  enabled: z.boolean('must be true or false').optional(),
  allowedOrigins: origins.optional(),
  allowedAssistantIds: assistantIds.optional(),
  allowTransientAssistant: z.boolean('must be true or false').optional(),
});

export const tagSchema = z.enum(TOKEN_TAGS, { error: 'must be "private" or "public"' });

export const tagsSchema = z
  .array(tagSchema, 'must be an array of tags')
  .min(1, 'must list at least one tag')
  .refine((tags) => new Set(tags).size === tags.length, 'must not repeat a tag');

// A member or tag added, removed or retyped on either side fails the compile here, naming this line.
type TagsMatch = AssertTrue<SameShape<(typeof TOKEN_TAGS)[number], TokenTag>>;
type TagSchemaMatches = AssertTrue<SameShape<z.infer<typeof tagSchema>, TokenTag>>;
type RestrictionsSchemaMatches = AssertTrue<SameShape<z.infer<typeof restrictionsSchema>, TokenRestrictions>>;
