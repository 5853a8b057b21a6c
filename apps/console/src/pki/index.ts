export { CertificateAuthority, type CaOptions, type IssueOptions, type IssuedCertificate } from './ca.js';
export { buildCsr, parseCsr, pemDecode, pemEncode, type CertUsage, type CertificationRequest } from './x509.js';
