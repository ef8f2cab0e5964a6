/**
 * What makes a valid VM name (SPEC 4.1, reference defect 169): the LimaVM name
 * is used verbatim as the VM's directory under `<lima_home>`, as a hostname and
 * inside `<name>-template`, so admission checks all of it up front instead of
 * failing later with CreateFailed: a DNS-1123 label without doubled separators
 * (Lima's instance-name rule), and a socket path that fits the kernel's limit.
 */
import * as Names from "../k8s/Names.js"

/** macOS allows 104 bytes in sun_path (Linux 108); keep the smaller one. */
export const MaxSocketPath = 103
/** The longest file name a driver puts a socket under in the VM directory. */
export const LongestSocketName = "qmp.sock"

export const validateVmName = (name: string, limaHome?: string): ReadonlyArray<string> => {
  const errs = [...Names.isDNS1123Label(name)]
  if (errs.length === 0 && name.includes("--")) errs.push("must not contain consecutive '-' (Lima instance names)")
  if (limaHome !== undefined) {
    const socket = `${limaHome}/${name}/${LongestSocketName}`
    const bytes = new TextEncoder().encode(socket).length
    if (bytes > MaxSocketPath) {
      errs.push(`is too long for this instance: the VM's socket path ${JSON.stringify(socket)} would be ${bytes} bytes (at most ${MaxSocketPath})`)
    }
  }
  return errs
}
