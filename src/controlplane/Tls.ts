/**
 * TLS material of an instance (SPEC 2.7): a CA and a serving certificate for
 * 127.0.0.1 and localhost, ECDSA P-256, generated once into the TLS dir (keys
 * 0600) and reused while valid; regenerated when missing, unreadable or within
 * 30 days of expiry (the Go tool never rotated and then failed with x509 errors).
 */
import * as Effect from "effect/Effect"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Failure } from "../domain/Errors.js"
import { writeFileAtomicSync } from "../layers/NodeInstanceDir.js"
import * as ReflectMetadata from "./ReflectMetadata.js"

export interface TlsMaterial {
  readonly caPem: string
  readonly certPem: string
  readonly keyPem: string
}

const Algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const
const ValidDays = 3650
const RenewBeforeMs = 30 * 24 * 3600_000

type WebKey = crypto.webcrypto.CryptoKey
type WebKeyPair = crypto.webcrypto.CryptoKeyPair

const pemKey = async (key: WebKey): Promise<string> => {
  const der = Buffer.from(await crypto.webcrypto.subtle.exportKey("pkcs8", key))
  const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`
}

const serial = () => crypto.randomBytes(16).toString("hex").replace(/^[89a-f]/, "1")

const generate = async (): Promise<TlsMaterial & { readonly caKeyPem: string }> => {
  // tsyringe (inside @peculiar/x509) needs Reflect metadata before it loads.
  ReflectMetadata.install()
  const loaded = await import("@peculiar/x509")
  // bundled as CommonJS, the namespace may sit under `default`
  const x509 = (loaded.cryptoProvider === undefined ? (loaded as unknown as { default: typeof loaded }).default : loaded)
  x509.cryptoProvider.set(crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])
  const notBefore = new Date(Date.now() - 60_000)
  const notAfter = new Date(Date.now() + ValidDays * 24 * 3600_000)
  const caKeys = await crypto.webcrypto.subtle.generateKey(Algorithm, true, ["sign", "verify"]) as WebKeyPair
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=rdd-ca",
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: Algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey)
    ]
  })
  const keys = await crypto.webcrypto.subtle.generateKey(Algorithm, true, ["sign", "verify"]) as WebKeyPair
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: "CN=rdd-apiserver",
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: Algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "ip", value: "127.0.0.1" },
        { type: "dns", value: "localhost" }
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey)
    ]
  })
  return { caPem: ca.toString("pem") + "\n", certPem: cert.toString("pem") + "\n", keyPem: await pemKey(keys.privateKey), caKeyPem: await pemKey(caKeys.privateKey) }
}

const readExisting = (dir: string): TlsMaterial | undefined => {
  try {
    const caPem = fs.readFileSync(path.join(dir, "ca.crt"), "utf8")
    const certPem = fs.readFileSync(path.join(dir, "apiserver.crt"), "utf8")
    const keyPem = fs.readFileSync(path.join(dir, "apiserver.key"), "utf8")
    const cert = new crypto.X509Certificate(certPem)
    const ca = new crypto.X509Certificate(caPem)
    if (Date.parse(cert.validTo) - Date.now() < RenewBeforeMs || !cert.checkIssued(ca) || !cert.checkPrivateKey(crypto.createPrivateKey(keyPem))) {
      return undefined
    }
    return { caPem, certPem, keyPem }
  } catch {
    return undefined
  }
}

export const ensure = (dir: string): Effect.Effect<TlsMaterial, Failure> =>
  Effect.tryPromise({
    try: async () => {
      const existing = readExisting(dir)
      if (existing !== undefined) return existing
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
      fs.chmodSync(dir, 0o700)
      const m = await generate()
      writeFileAtomicSync(path.join(dir, "ca.key"), m.caKeyPem, 0o600)
      writeFileAtomicSync(path.join(dir, "ca.crt"), m.caPem, 0o600)
      writeFileAtomicSync(path.join(dir, "apiserver.key"), m.keyPem, 0o600)
      writeFileAtomicSync(path.join(dir, "apiserver.crt"), m.certPem, 0o600)
      return { caPem: m.caPem, certPem: m.certPem, keyPem: m.keyPem }
    },
    catch: (e) => new Failure({ message: `cannot prepare TLS material in ${dir}: ${(e as Error).message}`, cause: e })
  })
