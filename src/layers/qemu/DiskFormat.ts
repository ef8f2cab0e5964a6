/**
 * Which `format=` QEMU is told for a disk file. Guessing is not left to QEMU: it warns
 * on raw images and refuses writes to sector 0 of a guessed raw disk.
 */
import * as fs from "node:fs"

const Qcow2Magic = Buffer.from([0x51, 0x46, 0x49, 0xfb]) // "QFI\xfb"

/** qcow2 images start with "QFI\xfb"; anything else (or an unreadable file) is used raw. */
export const diskFormat = (path: string): "qcow2" | "raw" => {
  try {
    const fd = fs.openSync(path, "r")
    try {
      const b = Buffer.alloc(4)
      const n = fs.readSync(fd, b, 0, 4, 0)
      return n === 4 && b.equals(Qcow2Magic) ? "qcow2" : "raw"
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    return "raw"
  }
}
