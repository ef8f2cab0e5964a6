/**
 * The few `Reflect` metadata functions tsyringe (a dependency of @peculiar/x509)
 * checks for at load time. No polyfill package is installed and the lock file is
 * shared, so this minimal one (a WeakMap per target) is installed before x509 is
 * imported; rdd itself uses no decorators.
 */
type Key = unknown
const store = new WeakMap<object, Map<string | symbol | undefined, Map<Key, unknown>>>()

const table = (target: object, property: string | symbol | undefined, create: boolean) => {
  let byProp = store.get(target)
  if (byProp === undefined) {
    if (!create) return undefined
    byProp = new Map()
    store.set(target, byProp)
  }
  let t = byProp.get(property)
  if (t === undefined && create) {
    t = new Map()
    byProp.set(property, t)
  }
  return t
}

const getOwn = (key: Key, target: object, property?: string | symbol) => table(target, property, false)?.get(key)
const get = (key: Key, target: object, property?: string | symbol): unknown => {
  for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
    const m = table(t, property, false)
    if (m?.has(key)) return m.get(key)
  }
  return undefined
}

export const install = (): void => {
  const r = Reflect as unknown as Record<string, unknown>
  if (typeof r["getMetadata"] === "function") return
  Object.assign(r, {
    defineMetadata: (key: Key, value: unknown, target: object, property?: string | symbol) => {
      table(target, property, true)!.set(key, value)
    },
    getOwnMetadata: getOwn,
    getMetadata: get,
    hasOwnMetadata: (key: Key, target: object, property?: string | symbol) => table(target, property, false)?.has(key) === true,
    hasMetadata: (key: Key, target: object, property?: string | symbol) => get(key, target, property) !== undefined,
    metadata: (key: Key, value: unknown) => (target: object, property?: string | symbol) => {
      table(target, property, true)!.set(key, value)
    }
  })
}
