// A webhook endpoint for bench/webhooks.mjs, in a process of its own so that the buyers' work in the bench
// process never delays its answers: answers every request with the status it is given (argv[2]) and keeps each
// event's lag (its first 2xx-answered request of that id: now minus the envelope's `time`).
// Messages: it sends { port } once listening; it answers 'report' with { lags, requests }.
import { createServer } from 'node:http';

const status = Number(process.argv[2] ?? 200);
const lags = new Map();
let requests = 0;
const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    requests++;
    if (status < 300) {
      const envelope = JSON.parse(Buffer.concat(chunks).toString());
      if (!lags.has(envelope.id)) lags.set(envelope.id, Date.now() - Date.parse(envelope.time));
    }
    response.writeHead(status).end();
  });
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (message) => {
  if (message === 'report') process.send({ lags: [...lags.values()], requests });
});
process.on('disconnect', () => process.exit(0));
