/** Build identity: the esbuild bundle defines these; tsx runs fall back to dev values. */
export const version: string = process.env["RDD_BUILD_VERSION"] ?? "v0.0.0-dev"
export const commit: string = process.env["RDD_BUILD_COMMIT"] ?? "unknown"

/** One line: the version first, so `^v\d+\.\d+\.\d+` matches as for the Go tool. */
export const describe = (nodeVersion: string): string => `${version} (commit ${commit}, node ${nodeVersion})`
