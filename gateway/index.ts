// The gateway's front door: what the pm2-mesh CLI and the PM2 module use to run it.
export { startGateway, type StartedGateway, type StartGatewayOptions } from './start.js';
export { checkFilter, type GatewayFilter } from './filter.js';
export { GATEWAY_MCP_PATH } from './http-server.js';
export { LOG_LEVELS, type LogLevel } from '../runtime/index.js';
