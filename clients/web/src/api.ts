// The REST API of docs/API.md. Every failure becomes an ApiError that carries the problem's `code`.

import type {
  CallHistoryPage,
  CallPresence,
  ChannelInvite,
  ChannelJoinResult,
  ChannelPresence,
  DevToken,
  DmGroup,
  DmGroupPage,
  JoinBody,
  JoinResult,
  LiveKitToken,
  MyVoiceOverview,
  ProblemDetails,
  RingingEntry,
  VoiceChannel,
  VoiceChannelPage,
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

  join(dmGroupId: string, body: JoinBody): Promise<JoinResult> {
    return this.send('POST', `/dm-groups/${enc(dmGroupId)}/voice-presence/join`, body);
  }

  /** With `deviceId`, only that device may leave (409 not_in_call when the seat moved away). */
  leave(dmGroupId: string, deviceId?: string): Promise<void> {
    return this.send('DELETE', `/dm-groups/${enc(dmGroupId)}/voice-presence/leave${deviceQuery(deviceId)}`);
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

  // ---- voice channels ---------------------------------------------------------------------------

  /** Every voice channel I may enter, read page by page. */
  async listChannels(): Promise<VoiceChannel[]> {
    const all: VoiceChannel[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=100&cursor=${enc(cursor)}` : '?limit=100';
      const page: VoiceChannelPage = await this.send('GET', `/voice-channels${query}`);
      all.push(...page.voiceChannels);
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  }

  getChannel(channelId: string): Promise<VoiceChannel> {
    return this.send('GET', `/voice-channels/${enc(channelId)}`);
  }

  createChannel(name: string, memberIds: string[], userLimit: number): Promise<VoiceChannel> {
    return this.send('POST', '/voice-channels', { name, memberIds, userLimit });
  }

  updateChannel(channelId: string, patch: { name?: string; userLimit?: number }): Promise<VoiceChannel> {
    return this.send('PATCH', `/voice-channels/${enc(channelId)}`, patch);
  }

  deleteChannel(channelId: string): Promise<void> {
    return this.send('DELETE', `/voice-channels/${enc(channelId)}`);
  }

  /** The channel invites waiting for my answer, oldest first. */
  async channelInvites(): Promise<ChannelInvite[]> {
    return ((await this.send('GET', '/me/voice-channel-invites')) as { invites: ChannelInvite[] }).invites;
  }

  acceptChannelInvite(channelId: string): Promise<VoiceChannel> {
    return this.send('POST', `/voice-channels/${enc(channelId)}/invite/accept`);
  }

  declineChannelInvite(channelId: string): Promise<void> {
    return this.send('POST', `/voice-channels/${enc(channelId)}/invite/decline`);
  }

  addChannelMember(channelId: string, userId: string): Promise<VoiceChannel> {
    return this.send('PUT', `/voice-channels/${enc(channelId)}/members/${enc(userId)}`);
  }

  /** The channel afterwards, or null when I gave up my own access. */
  removeChannelMember(channelId: string, userId: string): Promise<VoiceChannel | null> {
    return this.send('DELETE', `/voice-channels/${enc(channelId)}/members/${enc(userId)}`);
  }

  getChannelPresence(channelId: string): Promise<ChannelPresence> {
    return this.send('GET', `/voice-channels/${enc(channelId)}/voice-presence`);
  }

  joinChannel(channelId: string, body: JoinBody): Promise<ChannelJoinResult> {
    return this.send('POST', `/voice-channels/${enc(channelId)}/voice-presence/join`, body);
  }

  leaveChannel(channelId: string, deviceId?: string): Promise<void> {
    return this.send('DELETE', `/voice-channels/${enc(channelId)}/voice-presence/leave${deviceQuery(deviceId)}`);
  }

  updateChannelState(channelId: string, patch: VoiceStatePatch): Promise<VoiceParticipant> {
    return this.send('PUT', `/voice-channels/${enc(channelId)}/voice-presence/state`, patch);
  }

  channelToken(channelId: string): Promise<LiveKitToken> {
    return this.send('POST', '/livekit/channel-token', { roomId: channelId });
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

function deviceQuery(deviceId: string | undefined): string {
  return deviceId ? `?deviceId=${enc(deviceId)}` : '';
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
