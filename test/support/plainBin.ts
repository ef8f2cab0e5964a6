/**
 * For the tests of the bin's plain paths (src/plain/): the build's main.js (the
 * full path, run without the shim), a copy of the bin holding only the shim and
 * plain.js (so that any use of main.js fails: proof that a command ran without
 * it), and one command line run all three ways.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { rddBin, type RunResult, runRdd } from "./rdd.js"

const shim = fs.readFileSync(rddBin, "utf8")
/** the build the shim names */
const build = /\.\/builds\/([^/"']+)\/plain\.js/.exec(shim)![1]!

/** the build's main.js: the full path, run directly with node */
export const mainJs = path.join(path.dirname(rddBin), "builds", build, "main.js")

/** Writes into `dir` a copy of the bin with the shim and plain.js only; returns its rdd.mjs. */
export const shimOnlyCopy = (dir: string): string => {
  fs.mkdirSync(path.join(dir, "builds", build), { recursive: true })
  fs.writeFileSync(path.join(dir, "rdd.mjs"), shim)
  fs.copyFileSync(path.join(path.dirname(rddBin), "builds", build, "plain.js"), path.join(dir, "builds", build, "plain.js"))
  return path.join(dir, "rdd.mjs")
}

/** stderr without what differs between two runs: the time of each line */
export const timeless = (stderr: string): string => stderr.replace(/time="?[0-9TZ:-]+"?/g, "time=T").replace(/"time":"[^"]+"/g, "\"time\":\"T\"")

/** One command line through the bin (`plain`), main.js directly (`full`) and the shim-only copy (`bare`). */
export const threeWays = async (
  args: ReadonlyArray<string>,
  o: { readonly home: string; readonly copy: string; readonly env?: Record<string, string> }
): Promise<{ readonly plain: RunResult; readonly full: RunResult; readonly bare: RunResult }> => {
  const env = { RDD_DEVELOPER_MODE: "false", ...o.env }
  const plain = await runRdd(args, { home: o.home, env })
  const full = await runRdd([mainJs, ...args], { home: o.home, env, bin: process.execPath })
  const bare = await runRdd([o.copy, ...args], { home: o.home, env, bin: process.execPath })
  return { plain, full, bare }
}
