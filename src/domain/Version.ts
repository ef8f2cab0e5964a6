/** Build identity: the esbuild bundle defines these; tsx runs fall back to dev values. */
export const version: string = process.env["RDD_BUILD_VERSION"] ?? "v0.0.0-dev"
export const commit: string = process.env["RDD_BUILD_COMMIT"] ?? "unknown"
export const buildDate: string = process.env["RDD_BUILD_DATE"] ?? "unknown"

/** One line: the version first, so `^v\d+\.\d+\.\d+` matches as for the Go tool. */
export const describe = (nodeVersion: string): string => `${version} (commit ${commit}, node ${nodeVersion})`

/** Go's GOOS/GOARCH spelling, which scripts of the Go tool match on (`linux/amd64`). */
const goArch: Readonly<Record<string, string>> = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm" }

/**
 * `--version=raw`: the Go tool's six `Key: value` lines. Its `GoVersion` and
 * `Compiler` name the runtime and the toolchain; here those are Node and esbuild.
 */
export const raw = (runtime: { readonly nodeVersion: string; readonly platform: string; readonly arch: string }): string =>
  [
    `Version: ${version}`,
    `GitCommit: ${commit}`,
    `BuildDate: ${buildDate}`,
    `NodeVersion: ${runtime.nodeVersion}`,
    `Compiler: esbuild`,
    `Platform: ${runtime.platform}/${goArch[runtime.arch] ?? runtime.arch}`
  ].join("\n")

/**
 * What `--version[=VALUE]` prints (the Go tool's version flag): no value or
 * `true` the version line, `raw` the build details, any other value itself
 * (`--version=v1.2.3` prints `v1.2.3`: wrappers use it to pin what is reported).
 * `undefined` when the word is not the version flag.
 */
export const forFlag = (
  word: string,
  runtime: { readonly nodeVersion: string; readonly platform: string; readonly arch: string }
): string | undefined => {
  const m = /^--version(?:=(.*))?$/s.exec(word)
  if (m === null) return undefined
  const value = m[1] ?? ""
  if (value === "" || value === "true") return describe(runtime.nodeVersion)
  return value === "raw" ? raw(runtime) : value
}
