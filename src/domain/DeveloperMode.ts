/**
 * Developer mode (the Go tool's RDD_DEVELOPER_MODE): `debug` becomes the default
 * log level and `svc status` says so. The value is read as Go's strconv.ParseBool
 * reads it, trimmed; anything else (including empty) is off.
 */
const GoTrue: ReadonlySet<string> = new Set(["1", "t", "T", "TRUE", "true", "True"])

export const Variable = "RDD_DEVELOPER_MODE"

export const fromValue = (value: string | undefined): boolean => value !== undefined && GoTrue.has(value.trim())

export const EnabledMessage = "developer mode is enabled"
