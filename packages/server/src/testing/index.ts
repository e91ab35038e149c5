/**
 * `@agentmon/server/testing`: what the test suites, the bench and the scripts share, so no tool
 * imports test code: a private InfluxDB launcher and the API document of a freshly built app.
 */
export { INFLUX_SKIP, INFLUXD, influxServer, type InfluxServer } from './influx-server.js';
export { openApiDocument } from './openapi-document.js';
