/**
 * Developer mode (the Go tool's RDD_DEVELOPER_MODE): `debug` becomes the default
 * log level, `rdd --help` lists the developer commands (ctl, limavm, yq) and
 * `svc status` says so. The variable is read as Go's strconv.ParseBool reads it,
 * trimmed; a value that is not a Go boolean is off. Unset or blank, the Go tool
 * asks where its binary sits: in a source checkout it is a developer's build.
 * rdd's equivalent of "`../cmd/rdd/main.go` next to the binary" is
 * `../src/main.ts` and `../.git` next to the script (bin/rdd.mjs): the sources
 * alone would not do, since a packed npm tarball carries them too.
 */
const GoTrue: ReadonlySet<string> = new Set(["1", "t", "T", "TRUE", "true", "True"])

export const Variable = "RDD_DEVELOPER_MODE"

export const fromValue = (value: string | undefined): boolean => value !== undefined && GoTrue.has(value.trim())

/** The files whose presence beside the script's directory (`bin/`) marks a source checkout. */
export const CheckoutMarkers: ReadonlyArray<string> = ["../src/main.ts", "../.git"]

/**
 * @param value RDD_DEVELOPER_MODE
 * @param inCheckout whether the running script sits in a source checkout (asked only when `value` is unset or blank)
 */
export const decide = (value: string | undefined, inCheckout: () => boolean): boolean =>
  value === undefined || value.trim() === "" ? inCheckout() : fromValue(value)

export const EnabledMessage = "developer mode is enabled"

/** Commands help lists only in developer mode (they always run). */
export const DeveloperCommands: ReadonlySet<string> = new Set(["ctl", "limavm", "lima", "yq"])
