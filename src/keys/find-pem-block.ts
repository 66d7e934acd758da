/** Finds the one PEM block that holds a key in text that may carry several (RFC 7468), for every key loader in src/. */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { KeyMaterialError } from './key-material-error.js';

/**
 * Labels of the PEM blocks that hold a key; others (the EC PARAMETERS of `openssl ecparam -genkey`,
 * CSRs) are skipped when a text has several. @tokenvend/verify's local-keys.ts applies the same rule.
 */
const KEY_LABEL = /^(?:PUBLIC KEY|RSA PUBLIC KEY|CERTIFICATE|(?:[A-Z]+ )*PRIVATE KEY)$/;
const PRIVATE_LABEL = /^(?:[A-Z]+ )*PRIVATE KEY$/;
const PUBLIC_LABEL = /^(?:RSA )?PUBLIC KEY$/;
// RFC 7468 §3: the label of the END line repeats the BEGIN line's.
const PEM_BLOCKS = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;
// Every BEGIN line, closed or not: a second key cut short is still a second key.
const BEGIN_LINES = /-----BEGIN ([A-Z0-9 ]+)-----/g;

export interface PemBlock {
  /** The label of its BEGIN line, such as `EC PRIVATE KEY`. */
  readonly label: string;
  /** The block, from its BEGIN line to its END line. */
  readonly pem: string;
}

export interface FindPemBlockOptions {
  /**
   * Where several keys go at this door, added to the refusal of a text holding more than one, e.g.
   * `several keys, each with its own kid, go in SIGNING_KEYS_FILE`.
   */
  readonly several?: string;
  /**
   * A door that verifies with whatever key the block holds (`verify --key`): every key the text
   * names counts, whatever its form, so a public key and another key's certificate, or two
   * certificates that are not one chain, are refused as two public keys are.
   */
  readonly verifying?: boolean;
}

/**
 * The first complete block whose label is a key's (public key, certificate, any private key), else
 * the first complete block, so that text without a key block is judged, and refused, by its first;
 * undefined when the text holds no complete block. Whether the label found suits is the caller's call.
 *
 * A text holds one key: two or more private-key blocks, or two or more public-key blocks, are
 * refused (KeyMaterialError naming the count, never the material) rather than the first used and the
 * rest ignored, as a key and its successor pasted together during a rotation would be. Certificates
 * are not counted: a chain is one key, its leaf, written first as TLS tools write it, so a private
 * key followed by its chain is still one key. A text on one line whose line breaks are written
 * `\n` (a .env value) is read with those as line breaks; a text with real line breaks is read as is.
 *
 * @example
 * findPemBlock(execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey'], { encoding: 'utf8' }));
 * // { label: 'EC PRIVATE KEY', pem: '-----BEGIN EC PRIVATE KEY-----\n…\n-----END EC PRIVATE KEY-----' }
 * findPemBlock(`${oldKeyPem}${newKeyPem}`, { several: 'several keys go in SIGNING_KEYS_FILE' });
 * // throws KeyMaterialError: holds 2 private keys; give exactly one (several keys go in SIGNING_KEYS_FILE)
 */
export function findPemBlock(material: string, { several, verifying = false }: FindPemBlockOptions = {}): PemBlock | undefined {
  const text = withEnvLineBreaks(material);
  refuseSeveralKeys(text, several);
  const blocks = [...text.matchAll(PEM_BLOCKS)];
  if (verifying) refuseSeveralDistinctKeys(blocks.map((match) => ({ label: match[1] as string, pem: match[0] })), several);
  const block = blocks.find((match) => KEY_LABEL.test(match[1] as string)) ?? blocks[0];
  return block === undefined ? undefined : { label: block[1] as string, pem: block[0] };
}

/** The .env form: one line, its line breaks escaped. Only then, so that text with real lines is never rewritten. */
function withEnvLineBreaks(text: string): string {
  return text.includes('\\n') && !/[\r\n]/.test(text.trim()) ? text.replace(/\\n/g, '\n') : text;
}

function refuseSeveralKeys(text: string, several: string | undefined): void {
  const labels = [...text.matchAll(BEGIN_LINES)].map((match) => match[1] as string);
  for (const [kind, label] of [['private', PRIVATE_LABEL], ['public', PUBLIC_LABEL]] as const) {
    const count = labels.filter((candidate) => label.test(candidate)).length;
    if (count > 1) throw new KeyMaterialError('key', `holds ${count} ${kind} keys; give exactly one${several === undefined ? '' : ` (${several})`}`);
  }
}

/**
 * The keys a verifier would trust, each once: a private key's public part, a public key, and the
 * leaf of each certificate chain (a certificate that signed the one before it belongs to its chain;
 * any other starts a new one). The same key in two forms (a private key and its certificate) is one.
 */
function refuseSeveralDistinctKeys(blocks: readonly PemBlock[], several: string | undefined): void {
  const keys = new Set<string>();
  let previous: X509Certificate | undefined;
  for (const { label, pem } of blocks) {
    if (!KEY_LABEL.test(label)) continue;
    try {
      if (label === 'CERTIFICATE') {
        const certificate = new X509Certificate(pem);
        const continuesChain = previous !== undefined && previous.verify(certificate.publicKey);
        previous = certificate;
        if (continuesChain) continue;
        keys.add(certificate.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
      } else {
        previous = undefined;
        keys.add(createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64'));
      }
    } catch {
      // A block that does not parse is judged where it is read, if it is the one read.
      previous = undefined;
    }
  }
  if (keys.size > 1) throw new KeyMaterialError('key', `holds ${keys.size} different keys; give exactly one${several === undefined ? '' : ` (${several})`}`);
}
