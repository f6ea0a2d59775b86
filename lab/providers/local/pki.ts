/**
 * The lab's PKI, made offline with openssl: one CA, the apiserver's serving cert, and one client
 * cert per component, wrapped in kubeconfigs. EC P-256 keys keep generation under a second.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NET, PORTS, CONTEXT_NAME } from '../../config.ts';
import { run } from './sh.ts';

export interface ClientCert {
  /** File stem and kubeconfig name. */
  name: string;
  cn: string;
  org?: string;
}

async function key(path: string): Promise<void> {
  await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

async function sign(dir: string, stem: string, subject: string, ext: string): Promise<void> {
  const k = join(dir, `${stem}.key`);
  if (existsSync(join(dir, `${stem}.crt`))) return;
  await key(k);
  const csr = join(dir, `${stem}.csr`);
  const extFile = join(dir, `${stem}.ext`);
  writeFileSync(extFile, ext);
  await run('openssl', ['req', '-new', '-key', k, '-subj', subject, '-out', csr]);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'),
    '-CAcreateserial', '-days', '3650', '-sha256', '-extfile', extFile, '-out', join(dir, `${stem}.crt`)]);
}

export async function ensureCa(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(dir, 'ca.crt'))) return;
  await key(join(dir, 'ca.key'));
  await run('openssl', ['req', '-x509', '-new', '-key', join(dir, 'ca.key'), '-subj', '/CN=gauntlet-lab-ca', '-days', '3650',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', join(dir, 'ca.crt')]);
  // Service-account tokens are signed with their own key pair.
  await run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(dir, 'sa.key')]);
  await run('openssl', ['pkey', '-in', join(dir, 'sa.key'), '-pubout', '-out', join(dir, 'sa.pub')]);
}

export async function ensureServingCert(dir: string): Promise<void> {
  const sans = [
    `IP:${NET.hostIp}`, `IP:${NET.apiServiceIp}`, 'IP:127.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc', `DNS:kubernetes.default.svc.${NET.clusterDomain}`,
  ].join(',');
  await sign(dir, 'apiserver', '/CN=kube-apiserver',
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans}\n`);
}

export async function ensureClientCert(dir: string, c: ClientCert): Promise<void> {
  const subject = c.org === undefined ? `/CN=${c.cn}` : `/O=${c.org}/CN=${c.cn}`;
  await sign(dir, c.name, subject, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
}

const b64 = (path: string): string => readFileSync(path).toString('base64');

/** A kubeconfig for `c`, with certs embedded so the file stands alone. */
export function kubeconfig(dir: string, c: ClientCert, server = `https://${NET.hostIp}:${PORTS.apiserver}`): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: ${CONTEXT_NAME}
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(join(dir, 'ca.crt'))}
users:
- name: ${c.name}
  user:
    client-certificate-data: ${b64(join(dir, `${c.name}.crt`))}
    client-key-data: ${b64(join(dir, `${c.name}.key`))}
contexts:
- name: ${CONTEXT_NAME}
  context:
    cluster: ${CONTEXT_NAME}
    user: ${c.name}
current-context: ${CONTEXT_NAME}
`;
}

export async function writeKubeconfig(dir: string, c: ClientCert, path: string): Promise<void> {
  await ensureClientCert(dir, c);
  writeFileSync(path, kubeconfig(dir, c), { mode: 0o600 });
}
