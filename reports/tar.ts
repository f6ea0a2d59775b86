/**
 * A minimal ustar writer and reader (regular files only), enough for evidence bundles: no
 * dependency, nothing extracted to disk (verify reads the entries in memory). Names up to 255
 * bytes (ustar prefix + name), sizes up to 8 GiB, mode 0644, owner 0, a fixed mtime.
 */

const BLOCK = 512;

export interface TarEntry {
  name: string;
  data: Buffer;
}

/** Not a tar archive (or a damaged one): the reader says where. */
export class TarFormatError extends Error {}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function splitName(name: string): [prefix: string, name: string] {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  for (let i = name.lastIndexOf('/'); i > 0; i = name.lastIndexOf('/', i - 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return [prefix, rest];
  }
  throw new Error(`tar: name too long for ustar: ${name}`);
}

function header(name: string, size: number, mtimeSeconds: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  const [prefix, short] = splitName(name);
  h.write(short, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.max(0, Math.floor(mtimeSeconds)), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

export function tarPack(entries: readonly TarEntry[], mtimeSeconds = 0): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e.name, e.data.length, mtimeSeconds), e.data);
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}

function field(h: Buffer, start: number, len: number): string {
  const raw = h.subarray(start, start + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

/** Every entry of an archive, in order (directories skipped); anything else is a TarFormatError. */
export function tarUnpack(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  while (off + BLOCK <= buf.length) {
    const h = buf.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) return out;
    if (field(h, 257, 6) !== 'ustar') throw new TarFormatError(`not a ustar header at byte ${off}`);
    const stored = parseInt(field(h, 148, 8).trim(), 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (stored !== sum) throw new TarFormatError(`header checksum mismatch at byte ${off}`);
    const size = parseInt(field(h, 124, 12).trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0) throw new TarFormatError(`bad size at byte ${off}`);
    const type = String.fromCharCode(h[156]!);
    const prefix = field(h, 345, 155);
    const name = prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100);
    const start = off + BLOCK;
    if (start + size > buf.length) throw new TarFormatError(`${name}: truncated (${size} bytes declared, ${buf.length - start} left)`);
    if (type === '0' || type === '\0') out.push({ name, data: Buffer.from(buf.subarray(start, start + size)) });
    else if (type !== '5') throw new TarFormatError(`${name}: entry type "${type}" is not a regular file`);
    off = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new TarFormatError('archive ends without its end-of-archive blocks');
}
