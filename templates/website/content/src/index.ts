import { createApp } from './server.ts';

// Cloud Run sets PORT and sends SIGTERM before it stops an instance.
const port = Number(process.env.PORT ?? 8080);
const server = createApp().listen(port, () => {
  console.log(JSON.stringify({ severity: 'INFO', message: `listening on ${port}` }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
