// Signing in: a development token for a typed user id where the gateway issues them, otherwise a
// bearer token from the deployment's identity provider. The token lives in this tab only.

import { ApiError, devToken } from './api';
import type { Me } from './session';

const storageKey = 'dmvoice.signIn';

/**
 * Whether the gateway serves POST /dev/token. Asking with an empty user id is harmless: a gateway
 * with dev tokens refuses the input (422), one without answers 404. Throws when nothing answers.
 */
export async function devTokensAvailable(): Promise<boolean> {
  try {
    await devToken('', undefined);
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'network_error') throw error;
    return !(error instanceof ApiError && error.code === 'not_found');
  }
}

export async function signInWithDevToken(userId: string, displayName: string | undefined): Promise<Me> {
  const issued = await devToken(userId, displayName);
  return remember({ userId: issued.userId, displayName: displayName || issued.userId, token: issued.token });
}

/** Reads who the token names; the gateway checks the token itself on first use. */
export function signInWithBearerToken(token: string): Me {
  const claims = readClaims(token.trim());
  if (!claims?.sub) throw new Error('That does not look like a bearer token (a JWT with a "sub" claim).');
  return remember({ userId: claims.sub, displayName: claims.name ?? claims.sub, token: token.trim() });
}

export function rememberedSignIn(): Me | null {
  const stored = sessionStorage.getItem(storageKey);
  if (!stored) return null;
  try {
    const me = JSON.parse(stored) as Me;
    const claims = readClaims(me.token);
    return claims?.exp && claims.exp * 1000 < Date.now() ? null : me;
  } catch {
    return null;
  }
}

export function forgetSignIn(): void {
  sessionStorage.removeItem(storageKey);
}

function remember(me: Me): Me {
  sessionStorage.setItem(storageKey, JSON.stringify(me));
  return me;
}

function readClaims(token: string): { sub?: string; name?: string; exp?: number } | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as { sub?: string; name?: string; exp?: number };
  } catch {
    return null;
  }
}

/**
 * This tab's device id, kept for the tab's life: each tab is a device of its own, so a call can
 * move between tabs like between a phone and a laptop.
 */
export function tabDeviceId(): string {
  const key = 'dmvoice.deviceId';
  let id = sessionStorage.getItem(key);
  if (!id) {
    id = `web-${crypto.getRandomValues(new Uint32Array(2)).reduce((text, n) => text + n.toString(36), '')}`;
    sessionStorage.setItem(key, id);
  }
  return id;
}
