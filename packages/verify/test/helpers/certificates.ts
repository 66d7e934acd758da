/** X.509 certificates (RFC 5280) made at test time from node:crypto keys, so no openssl is needed. */
import { sign, type KeyObject } from 'node:crypto';

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  const header = length < 0x80 ? [length] : length < 0x100 ? [0x81, length] : [0x82, length >> 8, length & 0xff];
  return Buffer.concat([Buffer.from([tag, ...header]), content]);
}
const sequence = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts));
const utcTime = (date: Date): Buffer => tlv(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`));
// ecdsa-with-SHA256 (RFC 5758 §3.2), 1.2.840.10045.4.3.2, without parameters.
const ECDSA_WITH_SHA256 = sequence(Buffer.from('06082a8648ce3d040302', 'hex'));
// A Name holding one commonName (2.5.4.3) as a UTF8String.
const name = (commonName: string): Buffer => sequence(tlv(0x31, sequence(Buffer.from('0603550403', 'hex'), tlv(0x0c, Buffer.from(commonName)))));

/**
 * A PEM `CERTIFICATE` for `subject`'s public key, named `subjectName` and signed by the EC private
 * key `issuer` under `issuerName` (self-signed when they are one key pair). Valid from a day ago for
 * a day; nothing checks more than that here.
 *
 * @example
 * const root = certificatePem(caPublic, caPrivate, 'test CA', 'test CA');
 * const leaf = certificatePem(leafPublic, caPrivate, 'tokenvend', 'test CA');
 * const chain = `${leaf}${root}`; // leaf first, as TLS tools write it
 */
export function certificatePem(subject: KeyObject, issuer: KeyObject, subjectName: string, issuerName: string): string {
  const now = Date.now();
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // version v3
    tlv(0x02, Buffer.from([1 + (now % 100)])), // serialNumber
    ECDSA_WITH_SHA256,
    name(issuerName),
    sequence(utcTime(new Date(now - 86_400_000)), utcTime(new Date(now + 86_400_000))),
    name(subjectName),
    subject.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, issuer);
  const der = sequence(tbs, ECDSA_WITH_SHA256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}
