// Verifies supplywatch transport passes (SW1: tokens) in the browser, offline.
// The same checks, in the same order, as passes/credentials.py; the format is in
// docs/passes.md. Needs WebCrypto Ed25519 and DecompressionStream (current Chromium).
// CBOR and Base45 come from vetted libraries vendored under /static/vendor/.
//
//   import { verifyPass } from "/static/js/pass-verify.js";
//   const result = await verifyPass(token, keysJson, revocationBytes, new Date(), "310115");
//   result.status is one of valid, expired, not_yet_valid, revoked, wrong_region,
//   unknown_key, forged, damaged; result.claims is set whenever the claims could be read.
//
// verifyPass never throws because of a token. It throws KeySetError or
// RevocationListError when the key set or the revocation list cannot be trusted: a
// checkpoint must not judge passes with them.
import { decode, encode, Tokenizer } from "../vendor/cborg/cborg.js";
import { decode as decodeBase45 } from "../vendor/base45/index.js";

export const TOKEN_PREFIX = "SW1:";
export const MAX_TOKEN_CHARS = 2048;
export const MAX_MESSAGE_BYTES = 2048;
export const MAX_LIST_BYTES = 8 * 1024 * 1024;
export const STATUS = Object.freeze({
  VALID: "valid",
  EXPIRED: "expired",
  NOT_YET_VALID: "not_yet_valid",
  REVOKED: "revoked",
  WRONG_REGION: "wrong_region",
  UNKNOWN_KEY: "unknown_key",
  FORGED: "forged",
  DAMAGED: "damaged"
});

const COSE_SIGN1_TAG = 18;
const HEADER_ALGORITHM = 1;
const HEADER_KID = 4;
const ALGORITHM_EDDSA = -8;
const KID_BYTES = 8;
const MAX_TIMESTAMP = 253402300799;
const CLAIM = { ISSUER: 1, SUBJECT: 2, EXPIRES: 4, NOT_BEFORE: 5, ISSUED_AT: 6, PASS_ID: 7,
                KIND: -1, REGIONS: -2 };
const LIST = { ISSUER: 1, ISSUED_AT: 6, VERSION: -1, REVOKED: -2 };
const KINDS = new Map([[1, "vehicle"], [2, "staff"]]);
const MAX_REGIONS = 16;
const MAX_TEXT_CHARS = 64;
// Base45 alphabet (RFC 9285): checked here because the decoder reads characters
// above U+00FF as zero instead of refusing them.
const BASE45_TEXT = /^[0-9A-Z $%*+\-./:]*$/;
const PASS_ID = /^[A-Za-z0-9._-]{1,32}$/;
const REGION_CODE = /^[A-Za-z0-9._-]{1,16}$/;
// Python's str.isprintable(): no control, format, unassigned, private-use or surrogate
// characters, and no separators except the ASCII space.
const PRINTABLE = /^(?:[^\p{C}\p{Z}]| )*$/u;
const SIGNATURE_CONTEXT = "Signature1";

class Malformed extends Error {}

export class KeySetError extends Error {}

export class RevocationListError extends Error {
  constructor(reason, detail) {
    super(reason + ": " + detail);
    this.reason = reason;
    this.detail = detail;
  }
}

class CoseSign1 {
  constructor(parts) { this.parts = parts; }
}

class VerifiedRevocationList {
  constructor(issuer, version, issuedAt, revoked) {
    this.issuer = issuer;
    this.version = version;
    this.issuedAt = issuedAt;
    this.revoked = revoked;
    Object.freeze(this);
  }
  isRevoked(passId) { return this.revoked.has(passId); }
}

// CBOR is read as strictly as Python's cbor2 reads it: text must be valid UTF-8 (the
// library would put U+FFFD in its place), no undefined, no tags but COSE_Sign1's.
const OUTER_OPTIONS = { useMaps: true, allowUndefined: false, retainStringBytes: true,
                        tags: { [COSE_SIGN1_TAG]: (inner) => new CoseSign1(inner()) } };
const PLAIN_OPTIONS = { useMaps: true, allowUndefined: false, retainStringBytes: true };
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

class StrictTextTokenizer {
  constructor(data, options) { this.inner = new Tokenizer(data, options); }
  done() { return this.inner.done(); }
  pos() { return this.inner.pos(); }
  next() {
    const token = this.inner.next();
    if (token.byteValue !== undefined) { STRICT_UTF8.decode(token.byteValue); }
    return token;
  }
}

function decodeCbor(bytes, options) {
  try {
    const strict = Object.assign({}, options);
    strict.tokenizer = new StrictTextTokenizer(bytes, strict);
    return decode(bytes, strict);
  } catch (error) {
    throw new Malformed("not valid CBOR");
  }
}

// Whether a decoded value holds only what a claims set may: numbers, text, bytes, true,
// false, null, arrays, and maps whose keys are not arrays or maps (as in passes/cose.py).
function isPlain(value) {
  if (Array.isArray(value)) { return value.every(isPlain); }
  if (value instanceof Map) {
    for (const [key, item] of value) {
      if (Array.isArray(key) || key instanceof Map || !isPlain(key) || !isPlain(item)) {
        return false;
      }
    }
    return true;
  }
  return value === null || value instanceof Uint8Array ||
    ["number", "bigint", "string", "boolean"].includes(typeof value);
}

function isInteger(value) {
  return typeof value === "number" && Number.isSafeInteger(value);
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64urlBytes(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new KeySetError("not unpadded Base64url");
  }
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - text.length % 4) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function bytesEqual(a, b) {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

// The parts of a COSE_Sign1 message of our profile, or Malformed.
function readMessage(bytes) {
  const item = decodeCbor(bytes, OUTER_OPTIONS);
  if (!(item instanceof CoseSign1)) { throw new Malformed("not a tagged COSE_Sign1 message"); }
  const parts = item.parts;
  if (!Array.isArray(parts) || parts.length !== 4) {
    throw new Malformed("a COSE_Sign1 message is an array of four items");
  }
  const [protectedBytes, unprotected, payload, signature] = parts;
  if (![protectedBytes, payload, signature].every((part) => part instanceof Uint8Array)) {
    throw new Malformed("protected header, payload and signature must be byte strings");
  }
  if (!(unprotected instanceof Map) || unprotected.size !== 0) {
    throw new Malformed("the unprotected header must be empty");
  }
  const header = decodeCbor(protectedBytes, PLAIN_OPTIONS);
  if (!(header instanceof Map) || header.size !== 2 || !header.has(HEADER_ALGORITHM) ||
      !header.has(HEADER_KID)) {
    throw new Malformed("the protected header must hold exactly alg and kid");
  }
  if (header.get(HEADER_ALGORITHM) !== ALGORITHM_EDDSA) {
    throw new Malformed("the algorithm must be EdDSA (-8)");
  }
  const kid = header.get(HEADER_KID);
  if (!(kid instanceof Uint8Array) || kid.length !== KID_BYTES) {
    throw new Malformed("the kid must be " + KID_BYTES + " bytes");
  }
  return { protectedBytes, kid, payload, signature };
}

async function signatureIsValid(message, publicKey) {
  const toBeSigned = encode([SIGNATURE_CONTEXT, message.protectedBytes, new Uint8Array(0),
                             message.payload]);
  try {
    return await crypto.subtle.verify({ name: "Ed25519" }, publicKey, message.signature, toBeSigned);
  } catch (error) {
    return false;
  }
}

// The zlib stream inflated to at most MAX_MESSAGE_BYTES, or Malformed saying why not.
async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    let step;
    try {
      step = await reader.read();
    } catch (error) {
      throw new Malformed("not a complete zlib stream: " + error.message);
    }
    if (step.done) { break; }
    total += step.value.length;
    if (total > MAX_MESSAGE_BYTES) {
      reader.cancel().catch(() => {});
      throw new Malformed("inflates to more than " + MAX_MESSAGE_BYTES + " bytes");
    }
    chunks.push(step.value);
  }
  const inflated = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) { inflated.set(chunk, offset); offset += chunk.length; }
  return inflated;
}

function codePoints(text) {
  return [...text].length;
}

function isPassText(value) {
  return typeof value === "string" && codePoints(value) >= 1 &&
    codePoints(value) <= MAX_TEXT_CHARS && PRINTABLE.test(value);
}

// The claims a payload holds, or null when it is not a claims set of this format.
function claimsOfPayload(payload) {
  let content;
  try {
    content = decodeCbor(payload, PLAIN_OPTIONS);
  } catch (error) {
    return null;
  }
  if (!(content instanceof Map) || !isPlain(content)) { return null; }
  const times = [CLAIM.NOT_BEFORE, CLAIM.EXPIRES, CLAIM.ISSUED_AT].map((key) => content.get(key));
  if (!times.every((t) => isInteger(t) && t >= 0 && t <= MAX_TIMESTAMP)) { return null; }
  const [notBefore, expiresAt, issuedAt] = times;
  const issuer = content.get(CLAIM.ISSUER);
  const subject = content.get(CLAIM.SUBJECT);
  const kind = KINDS.get(content.get(CLAIM.KIND));
  const passIdBytes = content.get(CLAIM.PASS_ID);
  const regions = content.get(CLAIM.REGIONS);
  if (!isPassText(issuer) || !isPassText(subject) || kind === undefined) { return null; }
  if (!(passIdBytes instanceof Uint8Array) || !Array.isArray(regions)) { return null; }
  let passId;
  try {
    passId = new TextDecoder("utf-8", { fatal: true }).decode(passIdBytes);
  } catch (error) {
    return null;
  }
  if (!PASS_ID.test(passId)) { return null; }
  if (regions.length < 1 || regions.length > MAX_REGIONS || new Set(regions).size !== regions.length ||
      !regions.every((code) => typeof code === "string" && REGION_CODE.test(code))) {
    return null;
  }
  if (expiresAt <= notBefore) { return null; }
  return Object.freeze({
    issuer,
    passId,
    kind,
    subject,
    regions: Object.freeze(regions.slice()),
    notBefore: new Date(notBefore * 1000),
    expiresAt: new Date(expiresAt * 1000),
    issuedAt: new Date(issuedAt * 1000)
  });
}

const keySetCache = new Map();

// The published key set (the JSON text or its parsed object) as kid (hex) -> CryptoKey.
export async function importKeySet(keys) {
  const text = typeof keys === "string" ? keys : JSON.stringify(keys);
  if (keySetCache.has(text)) { return keySetCache.get(text); }
  let document;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new KeySetError("the key set is not JSON");
  }
  const entries = document && typeof document === "object" ? document.keys : undefined;
  if (!entries || typeof entries !== "object" || Array.isArray(entries)) {
    throw new KeySetError('the key set has no "keys" object');
  }
  const imported = new Map();
  for (const [kidText, entry] of Object.entries(entries)) {
    if (!entry || entry.kty !== "OKP" || entry.crv !== "Ed25519" || entry.alg !== "EdDSA") {
      throw new KeySetError("key " + kidText + " is not an Ed25519 EdDSA key");
    }
    const raw = base64urlBytes(entry.x);
    const kid = base64urlBytes(kidText);
    if (raw.length !== 32) { throw new KeySetError("key " + kidText + " must be 32 raw bytes"); }
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
    if (!bytesEqual(digest.subarray(0, KID_BYTES), kid)) {
      throw new KeySetError("key " + kidText + " is not the kid of its public key");
    }
    let publicKey;
    try {
      publicKey = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    } catch (error) {
      throw new KeySetError("key " + kidText + " is not an Ed25519 public key");
    }
    imported.set(hex(kid), publicKey);
  }
  keySetCache.set(text, imported);
  return imported;
}

function asBytes(data) {
  if (data instanceof Uint8Array) { return data; }
  if (data instanceof ArrayBuffer) { return new Uint8Array(data); }
  throw new RevocationListError("damaged", "the revocation list must be bytes");
}

const listCache = new WeakMap();

// The revocation list in signed bytes, if a published key signed it and it is not older
// than knownVersion; throws RevocationListError otherwise.
export async function verifyRevocationList(data, keys, knownVersion = null) {
  const bytes = asBytes(data);
  if (bytes.length > MAX_LIST_BYTES) { throw new RevocationListError("damaged", "too large"); }
  const keySet = await importKeySet(keys);
  let message;
  try {
    message = readMessage(bytes);
  } catch (error) {
    throw new RevocationListError("damaged", error.message);
  }
  const publicKey = keySet.get(hex(message.kid));
  if (publicKey === undefined) {
    throw new RevocationListError("unknown_key", "kid " + hex(message.kid) + " is not published");
  }
  if (!(await signatureIsValid(message, publicKey))) {
    throw new RevocationListError("forged", "the signature does not verify");
  }
  let content;
  try {
    content = decodeCbor(message.payload, PLAIN_OPTIONS);
  } catch (error) {
    throw new RevocationListError("damaged", error.message);
  }
  // A pass is signed with the same key and holds these four keys too (its kind and
  // regions under -1 and -2): only the exact set of keys tells a list from a pass.
  const listKeys = Object.values(LIST);
  if (!(content instanceof Map) || content.size !== listKeys.length ||
      !listKeys.every((key) => content.has(key))) {
    throw new RevocationListError("damaged", "the signed content is not a revocation list");
  }
  const issuer = content instanceof Map ? content.get(LIST.ISSUER) : undefined;
  const issuedAt = content instanceof Map ? content.get(LIST.ISSUED_AT) : undefined;
  const version = content instanceof Map ? content.get(LIST.VERSION) : undefined;
  const revoked = content instanceof Map ? content.get(LIST.REVOKED) : undefined;
  if (typeof issuer !== "string" || !isInteger(version) || version < 0 || !isInteger(issuedAt) ||
      issuedAt < 0 || issuedAt > MAX_TIMESTAMP || !Array.isArray(revoked) ||
      !revoked.every((id) => typeof id === "string" && id.length > 0)) {
    throw new RevocationListError("damaged", "the signed content is not a revocation list");
  }
  if (knownVersion !== null && version < knownVersion) {
    throw new RevocationListError("older_version",
      "version " + version + " is older than version " + knownVersion);
  }
  return new VerifiedRevocationList(issuer, version, new Date(issuedAt * 1000), new Set(revoked));
}

// A list given as bytes is verified once per (bytes object, key set) and then reused.
async function revocationListOf(revocation, keys) {
  if (revocation instanceof VerifiedRevocationList) { return revocation; }
  const bytes = asBytes(revocation);
  const keysText = typeof keys === "string" ? keys : JSON.stringify(keys);
  const cached = listCache.get(bytes);
  if (cached !== undefined && cached.keysText === keysText) { return cached.list; }
  const list = await verifyRevocationList(bytes, keys);
  listCache.set(bytes, { keysText, list });
  return list;
}

function result(status, claims, kid, reason) {
  const authentic = ![STATUS.UNKNOWN_KEY, STATUS.FORGED, STATUS.DAMAGED].includes(status);
  return Object.freeze({ status, claims, kid: kid === null ? null : hex(kid), reason, authentic });
}

function instantMilliseconds(now) {
  if (now instanceof Date) { return now.getTime(); }
  if (typeof now === "number" && Number.isFinite(now)) { return now * 1000; }
  throw new TypeError("now must be a Date or seconds since 1970");
}

async function judgeToken(token, keySet, revocationList, nowMs, region) {
  if (typeof token !== "string") { return result(STATUS.DAMAGED, null, null, "a token is text"); }
  token = token.replace(/[\r\n]+$/, "");
  if (token.length > MAX_TOKEN_CHARS) {
    return result(STATUS.DAMAGED, null, null, "longer than " + MAX_TOKEN_CHARS + " characters");
  }
  if (!token.startsWith(TOKEN_PREFIX)) {
    return result(STATUS.DAMAGED, null, null, "does not start with " + TOKEN_PREFIX);
  }
  const body = token.slice(TOKEN_PREFIX.length);
  let compressed;
  try {
    if (!BASE45_TEXT.test(body)) { throw new Malformed("not Base45"); }
    compressed = decodeBase45(body);
  } catch (error) {
    return result(STATUS.DAMAGED, null, null, "not Base45");
  }
  let message;
  try {
    message = readMessage(await inflate(compressed));
  } catch (error) {
    return result(STATUS.DAMAGED, null, null, error.message);
  }
  const claims = claimsOfPayload(message.payload);
  const publicKey = keySet.get(hex(message.kid));
  if (publicKey === undefined) {
    return result(STATUS.UNKNOWN_KEY, claims, message.kid,
      "kid " + hex(message.kid) + " is not a published key");
  }
  if (!(await signatureIsValid(message, publicKey))) {
    return result(STATUS.FORGED, claims, message.kid, "the signature does not verify");
  }
  if (claims === null) {
    return result(STATUS.DAMAGED, null, message.kid, "signed, but not a pass's claims");
  }
  if (revocationList.isRevoked(claims.passId)) {
    return result(STATUS.REVOKED, claims, message.kid,
      "revoked (list version " + revocationList.version + ")");
  }
  if (nowMs < claims.notBefore.getTime()) {
    return result(STATUS.NOT_YET_VALID, claims, message.kid, "not valid before its start");
  }
  if (nowMs >= claims.expiresAt.getTime()) {
    return result(STATUS.EXPIRED, claims, message.kid, "expired");
  }
  const allowed = Array.isArray(region) ? region : [region];
  if (region !== null && region !== undefined && !claims.regions.some((code) => allowed.includes(code))) {
    return result(STATUS.WRONG_REGION, claims, message.kid, "not valid in region " + allowed[0]);
  }
  return result(STATUS.VALID, claims, message.kid, "signed, in force, not revoked");
}

// The one status a scanned token has at `now` (a Date, or seconds since 1970) in
// `region` (a region code, an array of codes a pass may name to hold there, such as a
// checkpoint's region and those above it, or null not to check it). `keys` is the published key set
// (JSON text or object); `revocation` the signed list's bytes (Uint8Array or
// ArrayBuffer) or what verifyRevocationList returned.
export async function verifyPass(token, keys, revocation, now, region = null) {
  const nowMs = instantMilliseconds(now);
  const keySet = await importKeySet(keys);
  const revocationList = await revocationListOf(revocation, keys);
  try {
    return await judgeToken(token, keySet, revocationList, nowMs, region);
  } catch (error) {
    return result(STATUS.DAMAGED, null, null, "unreadable: " + error.message);
  }
}
