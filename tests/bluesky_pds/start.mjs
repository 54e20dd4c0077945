// A real Bluesky Personal Data Server (@atproto/pds) and PLC directory (@did-plc/server, on its
// in-memory store) for the integration tests, on 127.0.0.1 only, nothing reaching the internet.
//
//   node tests/bluesky_pds/start.mjs <data directory>
//
// Prints one JSON line when both answer: {"pds": url, "plc": url, "admin_password": ...}.
// Stops on SIGTERM or SIGINT, or when its standard input closes (the test run that started it
// has gone), so a crashed test run leaves no server behind. The PDS keeps its SQLite databases
// and blobs in the data directory; the caller removes it.
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

import { PDS, envToCfg, envToSecrets, readEnv } from '@atproto/pds'
import plcServer from '@did-plc/server'

const { PlcServer, Database: PlcDatabase } = plcServer

const dataDirectory = process.argv[2]
if (!dataDirectory) {
  console.error('Usage: node tests/bluesky_pds/start.mjs <data directory>')
  process.exit(2)
}

// The PDS writes its own address into every account's DID document, so it must know its port
// before it starts: ask the kernel for a free one on 127.0.0.1 and use it at once.
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

function listenOn127(app, port) {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1')
    server.once('listening', () => resolve(server))
    server.once('error', reject)
  })
}

const plc = PlcServer.create({ db: PlcDatabase.mock() })
const plcHttp = await listenOn127(plc.app, 0)
const plcUrl = `http://127.0.0.1:${plcHttp.address().port}`

const port = await freePort()
const adminPassword = randomBytes(16).toString('hex')
const blobs = join(dataDirectory, 'blobs')
mkdirSync(blobs, { recursive: true })
const env = {
  ...readEnv(),
  port,
  hostname: 'localhost', // handles end in .test, as on a developer's PDS
  devMode: true, // plain http on 127.0.0.1
  dataDirectory,
  blobstoreDiskLocation: blobs,
  didPlcUrl: plcUrl,
  inviteRequired: false,
  serviceHandleDomains: ['.test'],
  jwtSecret: randomBytes(16).toString('hex'),
  adminPassword,
  // Any 32 random bytes are a valid secp256k1 private key (but for odds of about 2^-128).
  plcRotationKeyK256PrivateKeyHex: randomBytes(32).toString('hex'),
  crawlers: [],
}
const cfg = envToCfg(env)
const publicUrl = `http://127.0.0.1:${port}`
cfg.service.publicUrl = publicUrl
const pds = await PDS.create(cfg, envToSecrets(env))
// PDS.start() would listen on every interface: do what it does, on 127.0.0.1 alone.
await pds.ctx.sequencer.start()
const pdsHttp = await listenOn127(pds.app, port)

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  pdsHttp.closeAllConnections()
  plcHttp.closeAllConnections()
  await Promise.allSettled([pds.destroy(), plc.destroy()])
  pdsHttp.close()
  plcHttp.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.on('error', stop)
process.stdin.resume()

console.log(JSON.stringify({ pds: publicUrl, plc: plcUrl, admin_password: adminPassword }))
