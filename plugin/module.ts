// The PM2 module entry (package main). PM2 import()s an ES module app without handling a failure, which
// leaves a process that PM2 shows "online" but that serves nothing; so everything is loaded here, and any
// failure to load or start is an exit that PM2 sees and restarts.
try {
  const { startModule } = await import('./registry-module.js');
  await startModule();
} catch (error) {
  const err = error as Error;
  console.error(`[mesh] cannot start: ${process.env.DEBUG ? (err.stack ?? err.message) : err.message}`);
  process.exit(1);
}
