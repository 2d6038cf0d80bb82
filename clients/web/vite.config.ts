import { defineConfig } from 'vite';

// `npm run dev` serves the client on its own port and forwards the API to a gateway started with
// `dotnet run --project src/Gateway`; `npm run build` writes dist/, which that gateway serves at /.
const gateway = process.env.DMVOICE_GATEWAY ?? 'http://127.0.0.1:5080';

export default defineConfig({
  // livekit-client is a separate chunk, loaded only when a call connects media.
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 700 },
  server: {
    proxy: {
      '^/(dm-groups|me|livekit|dev|hubs)': { target: gateway, ws: true },
    },
  },
});
