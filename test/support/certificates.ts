/** X.509 certificates made at test time: the helper @tokenvend/verify's tests use, shared rather than copied. */
export { certificatePem } from '../../packages/verify/test/helpers/certificates.js';
