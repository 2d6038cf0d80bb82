// Runs LiveKit's own server SDK (livekit-server-sdk) so the C# tests can check DmVoice.LiveKit against it.
// Usage (all output is JSON or a raw token on stdout; errors go to stderr with a non-zero exit code):
//   node interop.mjs verify <apiKey> <secret> <token>                 -> claims JSON (TokenVerifier)
//   node interop.mjs create-token <apiKey> <secret> <optionsJson>     -> JWT (AccessToken)
//        optionsJson: {"identity","name","metadata","ttl" (seconds or "10m"),"sha256","video":{...grants}}
//        video.canPublishSources takes claim strings ("microphone", "camera", "screen_share", "screen_share_audio")
//   node interop.mjs sign-webhook <apiKey> <secret> <bodyFile>        -> raw JWT LiveKit would put in Authorization
//   node interop.mjs verify-webhook <apiKey> <secret> <bodyFile> <authorization> -> WebhookEvent JSON (WebhookReceiver)
//   node interop.mjs capture-room-calls <apiKey> <secret>             -> what RoomServiceClient sends, per method
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  AccessToken,
  RoomServiceClient,
  TokenVerifier,
  TrackSource,
  WebhookReceiver,
} from 'livekit-server-sdk';

const sourceByClaim = {
  camera: TrackSource.CAMERA,
  microphone: TrackSource.MICROPHONE,
  screen_share: TrackSource.SCREEN_SHARE,
  screen_share_audio: TrackSource.SCREEN_SHARE_AUDIO,
};

function requireArgs(args, count, usage) {
  if (args.length < count) {
    throw new Error(`usage: ${usage}`);
  }
}

async function verify([apiKey, secret, token]) {
  const claims = await new TokenVerifier(apiKey, secret).verify(token);
  return JSON.stringify(claims);
}

async function createToken([apiKey, secret, optionsJson]) {
  const options = JSON.parse(optionsJson);
  const at = new AccessToken(apiKey, secret, {
    identity: options.identity,
    name: options.name,
    metadata: options.metadata,
    ttl: options.ttl,
  });
  if (options.sha256) {
    at.sha256 = options.sha256;
  }
  if (options.video) {
    const grant = { ...options.video };
    if (Array.isArray(grant.canPublishSources)) {
      // The SDK takes the proto enum and writes the claim strings itself (grants.ts trackSourceToString).
      grant.canPublishSources = grant.canPublishSources.map((s) => {
        if (!(s in sourceByClaim)) throw new Error(`unknown track source ${s}`);
        return sourceByClaim[s];
      });
    }
    at.addGrant(grant);
  }
  return await at.toJwt();
}

async function signWebhook([apiKey, secret, bodyFile]) {
  // As LiveKit's webhook notifier does: sha256 claim = base64(SHA-256(body bytes)), 5 minute token,
  // no identity. The token goes in the Authorization header as-is (no "Bearer ").
  const body = readFileSync(bodyFile);
  const at = new AccessToken(apiKey, secret, { ttl: '5m' });
  at.sha256 = createHash('sha256').update(body).digest('base64');
  return await at.toJwt();
}

async function verifyWebhook([apiKey, secret, bodyFile, authorization]) {
  const body = readFileSync(bodyFile, 'utf8');
  const event = await new WebhookReceiver(apiKey, secret).receive(body, authorization);
  return JSON.stringify(event.toJson());
}

async function captureRoomCalls([apiKey, secret]) {
  const captured = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      captured.push({
        method: req.method,
        path: req.url,
        contentType: req.headers['content-type'] ?? null,
        authorization: req.headers['authorization'] ?? null,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url.endsWith('/ListParticipants') ? '{"participants":[]}' : '{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address();
    const client = new RoomServiceClient(`http://127.0.0.1:${port}`, apiKey, secret);
    await client.listParticipants('dm_room');
    await client.removeParticipant('dm_room', 'user-1');
    await client.deleteRoom('dm_room');
    await client.listRooms();
    const verifier = new TokenVerifier(apiKey, secret);
    for (const call of captured) {
      const token = call.authorization?.startsWith('Bearer ') ? call.authorization.slice(7) : null;
      call.claims = token ? await verifier.verify(token) : null;
    }
    return JSON.stringify(captured);
  } finally {
    server.close();
  }
}

const commands = {
  verify: [verify, 3, 'verify <apiKey> <secret> <token>'],
  'create-token': [createToken, 3, 'create-token <apiKey> <secret> <optionsJson>'],
  'sign-webhook': [signWebhook, 3, 'sign-webhook <apiKey> <secret> <bodyFile>'],
  'verify-webhook': [verifyWebhook, 4, 'verify-webhook <apiKey> <secret> <bodyFile> <authorization>'],
  'capture-room-calls': [captureRoomCalls, 2, 'capture-room-calls <apiKey> <secret>'],
};

const [command, ...args] = process.argv.slice(2);
const entry = commands[command];
if (!entry) {
  process.stderr.write(`unknown command '${command ?? ''}'; expected one of ${Object.keys(commands).join(', ')}\n`);
  process.exit(2);
}
try {
  const [run, count, usage] = entry;
  requireArgs(args, count, usage);
  process.stdout.write((await run(args)) + '\n');
} catch (err) {
  process.stderr.write(`${err?.name ?? 'Error'}: ${err?.message ?? err}\n`);
  process.exit(1);
}
