/**
 * The instance's Docker context, `rancher-desktop-<suffix>`, in Docker's context
 * store as `docker context create` writes it (checked against docker 28's CLI):
 * `<docker config dir>/contexts/meta/<sha256 hex of the name>/meta.json` holding
 * `{"Name","Metadata":{"Description"},"Endpoints":{"docker":{"Host","SkipTLSVerify"}}}`.
 * Only that directory is ever written or removed: the user's `config.json`
 * (their currentContext) is never touched.
 */
export const nameFor = (suffix: string): string => `rancher-desktop-${suffix}`

/**
 * The context's directory under the home, given the sha256 hex of its name: the store of
 * `~/.docker`, which `docker` reads by default (not $DOCKER_CONFIG: the control plane's
 * environment is whichever shell happened to start it).
 */
export const metaDir = (home: string, nameSha256: string): string =>
  `${home.replace(/\/+$/, "")}/.docker/contexts/meta/${nameSha256}`

export const metaJson = (name: string, socket: string): string =>
  JSON.stringify({
    Name: name,
    Metadata: { Description: `rdd instance ${name.replace(/^rancher-desktop-/, "")} (the App's container engine)` },
    Endpoints: { docker: { Host: `unix://${socket}`, SkipTLSVerify: false } }
  })
