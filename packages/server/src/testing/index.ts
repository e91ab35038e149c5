/**
 * `@agentmon/server/testing`: what the test suites, the bench and the scripts share, so no tool
 * imports test code: a private InfluxDB launcher, the API document of a freshly built app, free
 * ports and seeded random numbers.
 */
export { INFLUX_SKIP, INFLUXD, influxServer, type InfluxServer } from './influx-server.js';
export { openApiDocument } from './openapi-document.js';
export { freePort } from './free-port.js';
export { seededRandom } from './random.js';
export { startDaemon, type Daemon, type DaemonSpec } from './daemon.js';
