/**
 * What the CLI reads from the host before anything else: where the instance's
 * files live (home, platform, RDD_LOG_ROOT: Instance.paths' PathEnv), whether the
 * script runs from a source checkout, and whether stderr is a terminal to draw on.
 * Plain functions, no Effect: the bin's plain paths (src/plain/) and the CLI's
 * wiring read them alike.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as DeveloperMode from "../domain/DeveloperMode.js"
import type * as Instance from "../domain/Instance.js"

/** Where this user's instances keep their files. */
export const pathEnv = (): Instance.PathEnv => ({
  home: os.homedir(),
  platform: process.platform === "darwin" ? "darwin" : "linux",
  logRoot: process.env["RDD_LOG_ROOT"]
})

/**
 * Whether the script runs from a source checkout (developer mode's fallback rule,
 * domain/DeveloperMode.ts): the markers beside the directory of the script as
 * resolved (a `kubectl` symlink counts where it points, as the Go tool's
 * os.Executable does).
 */
export const inCheckout = (script: string | undefined) => (): boolean => {
  if (script === undefined) return false
  try {
    const bin = path.dirname(fs.realpathSync(script))
    return DeveloperMode.CheckoutMarkers.every((m) => fs.existsSync(path.join(bin, m)))
  } catch {
    return false
  }
}

/** stderr is a terminal rdd may draw on (colours, progress lines); NO_COLOR (any non-empty value, no-color.org) asks for the plain lines a pipe gets. */
export const stderrDrawable = (): boolean => process.stderr.isTTY === true && (process.env["NO_COLOR"] ?? "") === ""
