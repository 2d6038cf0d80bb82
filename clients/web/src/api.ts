// The REST API of docs/API.md. Every failure becomes an ApiError that carries the problem's `code`.

import type {
  CallHistoryPage,
  CallPresence,
  DevToken,
  DmGroup,
  DmGroupPage,
  JoinResult,
  LiveKitToken,
  MyVoiceOverview,
  ProblemDetails,
  RingingEntry,
  VoiceParticipant,
  VoiceStatePatch,
} from './contract';

/** A failed request: `code` is the problem's stable code, or `network_error` when nothing answered. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly problem: ProblemDetails,
  ) {
    super(problem.detail ?? problem.title ?? code);
    this.name = 'ApiError';
  }
}

export class Api {
  constructor(
    private readonly token: string,
    private readonly baseUrl = '',
  ) {}

  /** Every DM of mine, newest activity first, read page by page. */
  async listDms(): Promise<DmGroup[]> {
    const all: DmGroup[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=100&cursor=${enc(cursor)}` : '?limit=100';
      const page: DmGroupPage = await this.send('GET', `/dm-groups${query}`);
      all.push(...page.dmGroups);
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  }

  getDm(dmGroupId: string): Promise<DmGroup> {
    return this.send('GET', `/dm-groups/${enc(dmGroupId)}`);
  }

  createDm(memberIds: string[], name?: string): Promise<DmGroup> {
    return this.send('POST', '/dm-groups', name ? { memberIds, name } : { memberIds });
  }

  addMember(dmGroupId: string, userId: string): Promise<DmGroup> {
    return this.send('PUT', `/dm-groups/${enc(dmGroupId)}/members/${enc(userId)}`);
  }

  /** The group afterwards, or null when the last member left. */
  removeMember(dmGroupId: string, userId: string): Promise<DmGroup | null> {
    return this.send('DELETE', `/dm-groups/${enc(dmGroupId)}/members/${enc(userId)}`);
  }

  getPresence(dmGroupId: string): Promise<CallPresence> {
    return this.send('GET', `/dm-groups/${enc(dmGroupId)}/voice-presence`);
  }

  join(dmGroupId: string, state: { isMuted: boolean; isVideoEnabled: boolean }): Promise<JoinResult> {
    return this.send('POST', `/dm-groups/${enc(dmGroupId)}/voice-presence/join`, state);
  }

  leave(dmGroupId: string): Promise<void> {
    return this.send('DELETE', `/dm-groups/${enc(dmGroupId)}/voice-presence/leave`);
  }

  updateState(dmGroupId: string, patch: VoiceStatePatch): Promise<VoiceParticipant> {
    return this.send('PUT', `/dm-groups/${enc(dmGroupId)}/voice-presence/state`, patch);
  }

  myVoice(): Promise<MyVoiceOverview> {
    return this.send('GET', '/me/voice');
  }

  ring(dmGroupId: string, recipientIds?: string[]): Promise<{ dmGroupId: string; ringing: RingingEntry[] }> {
    return this.send('POST', `/dm-groups/${enc(dmGroupId)}/call/ring`, recipientIds ? { recipientIds } : undefined);
  }

  decline(dmGroupId: string): Promise<void> {
    return this.send('POST', `/dm-groups/${enc(dmGroupId)}/call/decline`);
  }

  dismiss(dmGroupId: string): Promise<void> {
    return this.send('POST', `/dm-groups/${enc(dmGroupId)}/call/dismiss`);
  }

  stopRinging(dmGroupId: string, recipientIds: string[]): Promise<void> {
    return this.send('POST', `/dm-groups/${enc(dmGroupId)}/call/stop-ringing`, { recipientIds });
  }

  history(dmGroupId: string, limit = 20): Promise<CallHistoryPage> {
    return this.send('GET', `/dm-groups/${enc(dmGroupId)}/calls?limit=${limit}`);
  }

  missedCalls(limit = 20): Promise<CallHistoryPage> {
    return this.send('GET', `/me/missed-calls?limit=${limit}`);
  }

  liveKitToken(dmGroupId: string): Promise<LiveKitToken> {
    return this.send('POST', '/livekit/dm-token', { roomId: dmGroupId });
  }

  private send<T>(method: string, path: string, body?: unknown): Promise<T> {
    return request<T>(method, this.baseUrl + path, body, this.token);
  }
}

/** POST /dev/token: a token for any user id, served only where the gateway enables dev tokens. */
export function devToken(userId: string, displayName: string | undefined, baseUrl = ''): Promise<DevToken> {
  return request('POST', `${baseUrl}/dev/token`, displayName ? { userId, displayName } : { userId });
}

async function request<T>(method: string, url: string, body: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';

  let response: Response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
  } catch {
    throw new ApiError('network_error', 0, { title: 'The server could not be reached.' });
  }

  if (response.status === 204) return null as T;
  const text = await response.text();
  const json: unknown = text ? safeParse(text) : null;
  if (!response.ok) {
    const problem = (json && typeof json === 'object' ? json : {}) as ProblemDetails;
    throw new ApiError(problem.code ?? `http_${response.status}`, response.status, problem);
  }

  return json as T;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
