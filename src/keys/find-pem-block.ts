/** Finds the PEM block that holds a key in text that may carry several (RFC 7468), for every key loader in src/. */

/**
 * Labels of the PEM blocks that hold a key; others (the EC PARAMETERS of `openssl ecparam -genkey`,
 * CSRs) are skipped when a text has several. @tokenvend/verify's local-keys.ts applies the same rule.
 */
const KEY_LABEL = /^(?:PUBLIC KEY|RSA PUBLIC KEY|CERTIFICATE|(?:[A-Z]+ )*PRIVATE KEY)$/;
// RFC 7468 §3: the label of the END line repeats the BEGIN line's.
const PEM_BLOCKS = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

export interface PemBlock {
  /** The label of its BEGIN line, such as `EC PRIVATE KEY`. */
  readonly label: string;
  /** The block, from its BEGIN line to its END line. */
  readonly pem: string;
}

/**
 * The first complete block whose label is a key's (public key, certificate, any private key), else
 * the first complete block, so that text without a key block is judged, and refused, by its first;
 * undefined when the text holds no complete block. Whether the label found suits is the caller's call.
 *
 * @example
 * findPemBlock(execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey'], { encoding: 'utf8' }));
 * // { label: 'EC PRIVATE KEY', pem: '-----BEGIN EC PRIVATE KEY-----\n…\n-----END EC PRIVATE KEY-----' }
 */
export function findPemBlock(text: string): PemBlock | undefined {
  const blocks = [...text.matchAll(PEM_BLOCKS)];
  const block = blocks.find((match) => KEY_LABEL.test(match[1] as string)) ?? blocks[0];
  return block === undefined ? undefined : { label: block[1] as string, pem: block[0] };
}
