/** Sizes as Lima writes them (`memory:`, `disk:`): docker/go-units RAMInBytes. */

const units: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }

/** "512MiB", "2GiB", "4G", "1.5g", "1024" (all multipliers binary); undefined when invalid. */
export const parse = (text: string): number | undefined => {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text)
  if (m === null) return undefined
  const n = Number(m[1])
  if (!Number.isFinite(n)) return undefined
  return Math.floor(n * units[(m[2] ?? "").toLowerCase()]!)
}
