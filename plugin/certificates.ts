// A local CA and certificates for a small fleet, for users who have no PKI: `pm2-mesh certs`. node:crypto makes
// the keys (fast, native) but cannot sign X.509 certificates; node-forge signs them (one package, no dependencies,
// loaded only by this command). Each certificate serves and authenticates (serverAuth + clientAuth), so one
// file pair is both an agent's HTTPS identity and its client certificate for mutual TLS.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

export interface IssuedFiles {
  ca: string;
  /** Whether the CA was made now (false: an existing one in the folder signed the new certificates). */
  caCreated: boolean;
  certificates: { name: string; cert: string; key: string }[];
}

/** Makes (or reuses) `dir`/ca.pem and, per name, `<name>.pem` + `<name>-key.pem` valid for `hosts`. Keys are 0600. */
export async function issueCertificates(dir: string, names: string[], hosts: string[], days: number): Promise<IssuedFiles> {
  const { default: forge } = await import('node-forge');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, 'ca.pem');
  const caKeyFile = join(dir, 'ca-key.pem');
  const caCreated = !existsSync(caFile) || !existsSync(caKeyFile);
  let caCert: ReturnType<typeof forge.pki.createCertificate>;
  let caKey: ReturnType<typeof forge.pki.privateKeyFromPem>;
  if (caCreated) {
    const keys = rsaKeys();
    caKey = forge.pki.privateKeyFromPem(keys.privatePem);
    caCert = forge.pki.createCertificate();
    caCert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
    setValidity(caCert, days * 5);
    const subject = [
      { name: 'commonName', value: 'pm2-mesh local CA' },
      { name: 'organizationName', value: 'pm2-mesh' },
    ];
    caCert.setSubject(subject);
    caCert.setIssuer(subject);
    caCert.setExtensions([
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    caCert.sign(caKey, forge.md.sha256.create());
    writeFileSync(caKeyFile, keys.privatePem, { mode: 0o600 });
    writeFileSync(caFile, forge.pki.certificateToPem(caCert));
  } else {
    caCert = forge.pki.certificateFromPem(readFileSync(caFile, 'utf8'));
    caKey = forge.pki.privateKeyFromPem(readFileSync(caKeyFile, 'utf8'));
  }

  const altNames = hosts.map((host) => (isIP(host) ? { type: 7, ip: host } : { type: 2, value: host }));
  const certificates = names.map((name) => {
    const keys = rsaKeys();
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
    setValidity(cert, days);
    cert.setSubject([
      { name: 'commonName', value: name },
      { name: 'organizationName', value: 'pm2-mesh' },
    ]);
    cert.setIssuer(caCert.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames },
      { name: 'subjectKeyIdentifier' },
    ]);
    cert.sign(caKey, forge.md.sha256.create());
    const certFile = join(dir, `${name}.pem`);
    const keyFile = join(dir, `${name}-key.pem`);
    writeFileSync(keyFile, keys.privatePem, { mode: 0o600 });
    writeFileSync(certFile, forge.pki.certificateToPem(cert));
    return { name, cert: certFile, key: keyFile };
  });
  return { ca: caFile, caCreated, certificates };
}

function rsaKeys(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function setValidity(cert: { serialNumber: string; validity: { notBefore: Date; notAfter: Date } }, days: number): void {
  // A positive serial (leading 01): some verifiers refuse a negative one.
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
}
