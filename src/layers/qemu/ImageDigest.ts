/**
 * Image digests in Lima's form (`sha256:<hex>`, `sha512:<hex>`): parsing, formatting,
 * and hashing a file. Lima's templates use only these two (go-digest's sha384 is never
 * seen in them), so anything else is refused with the list of what is supported.
 */
import * as Either from "effect/Either"
import { createHash, type Hash } from "node:crypto"
import * as fs from "node:fs"

export type Algorithm = "sha256" | "sha512"

export interface Digest {
  readonly algorithm: Algorithm
  /** lower-case hex */
  readonly hex: string
}

const HexLength: Record<Algorithm, number> = { sha256: 64, sha512: 128 }

export const format = (d: Digest): string => `${d.algorithm}:${d.hex}`

/** Left: why the string is not a usable digest. */
export const parse = (s: string): Either.Either<Digest, string> => {
  const m = /^([A-Za-z0-9+._-]+):([0-9A-Fa-f]+)$/.exec(s.trim())
  if (m === null) return Either.left(`digest ${JSON.stringify(s)} is not of the form <algorithm>:<hex>`)
  const algorithm = m[1]!.toLowerCase()
  if (algorithm !== "sha256" && algorithm !== "sha512") {
    return Either.left(`digest algorithm ${JSON.stringify(m[1])} is not supported (supported: sha256, sha512)`)
  }
  const hex = m[2]!.toLowerCase()
  if (hex.length !== HexLength[algorithm]) {
    return Either.left(`digest ${JSON.stringify(s)}: a ${algorithm} digest has ${HexLength[algorithm]} hex digits, not ${hex.length}`)
  }
  return Either.right({ algorithm, hex })
}

export const hasher = (algorithm: Algorithm): Hash => createHash(algorithm)

/** Feeds the file's bytes into `hash` (streamed: images are hundreds of MB). */
export const feedFile = (path: string, hash: Hash, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const input = fs.createReadStream(path, signal === undefined ? {} : { signal })
    input.on("data", (chunk) => hash.update(chunk))
    input.on("error", reject)
    input.on("end", () => resolve())
  })

export const hashFile = async (path: string, algorithm: Algorithm, signal?: AbortSignal): Promise<Digest> => {
  const hash = hasher(algorithm)
  await feedFile(path, hash, signal)
  return { algorithm, hex: hash.digest("hex") }
}
