/**
 * The bundled k3s versions table of the App admission (the Go tool's embedded
 * k3s-versions.json): release channels that name a concrete version, and the
 * bare versions rdd accepts for `spec.kubernetes.version`. Versions are kept
 * without the leading `v` and the `+k3sN` suffix, as the Go tool normalised them.
 */

/** Channel name → concrete version. */
export const Channels: Readonly<Record<string, string>> = {
  latest: "1.35.3",
  stable: "1.34.6",
  "v1.32": "1.32.13",
  "v1.33": "1.33.10",
  "v1.34": "1.34.6",
  "v1.35": "1.35.3"
}

/** The channel the defaulter picks when Kubernetes is enabled without a version. */
export const DefaultChannel = "stable"

const range = (minor: number, from: number, to: number): ReadonlyArray<string> =>
  Array.from({ length: to - from + 1 }, (_, i) => `1.${minor}.${from + i}`)

/** Every supported bare version, oldest first. */
export const Supported: ReadonlyArray<string> = [
  ...range(32, 0, 13),
  ...range(33, 0, 10),
  ...range(34, 1, 6),
  ...range(35, 0, 3)
]

const supportedSet = new Set(Supported)

/** Drops a leading `v` and a `+k3sN` build suffix: `v1.34.6+k3s1` → `1.34.6`. */
export const normalise = (version: string): string => version.replace(/^v/, "").replace(/\+k3s\d+$/, "")

export const isSupported = (version: string): boolean => supportedSet.has(normalise(version))

/**
 * The defaulter's rewrite of a version: a channel name (with or without the
 * leading `v`, e.g. `stable`, `v1.34`, `1.34`) becomes its concrete version;
 * anything else is left alone for the validator to judge.
 */
export const resolveChannel = (version: string): string => {
  const direct = Channels[version]
  if (direct !== undefined) return direct
  const bare = version.replace(/^v/, "")
  return Channels[bare] ?? Channels[`v${bare}`] ?? version
}
