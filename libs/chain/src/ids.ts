import { encodeBytes32String, decodeBytes32String, keccak256, toUtf8Bytes } from 'ethers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** On-chain job id of a service job id (a UUID): the 16 UUID bytes, left-padded to bytes32. Reversible. */
export function jobIdFromUuid(uuid: string): string {
  if (!UUID.test(uuid)) throw new Error(`not a UUID: ${uuid}`);
  return `0x${uuid.replace(/-/g, '').toLowerCase().padStart(64, '0')}`;
}

export function uuidFromJobId(jobId: string): string {
  const hex = jobId.toLowerCase().replace(/^0x/, '');
  if (!/^0{32}[0-9a-f]{32}$/.test(hex)) throw new Error(`not a UUID job id: ${jobId}`);
  const h = hex.slice(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * bytes32 for a short name (a region such as "eu-west", a tier key): the UTF-8 text when it fits in
 * 31 bytes, so it stays readable on-chain, otherwise its keccak256.
 */
export function toBytes32(name: string): string {
  if (name.length === 0) throw new Error('toBytes32: empty name');
  return toUtf8Bytes(name).length <= 31 ? encodeBytes32String(name) : keccak256(toUtf8Bytes(name));
}

/** Inverse of toBytes32 for names that fit; undefined for hashed ones. */
export function fromBytes32(value: string): string | undefined {
  try {
    return decodeBytes32String(value);
  } catch {
    return undefined;
  }
}
