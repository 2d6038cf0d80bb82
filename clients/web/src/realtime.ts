// The SignalR connection to /hubs/voice: connects, keeps reconnecting, and calls `sync` after every
// (re)connect. Events that arrive while a sync is in flight wait until its snapshot is applied, so
// the version rule always compares them with the newest state.

import { HubConnectionBuilder, HubConnectionState, LogLevel, type HubConnection, type IRetryPolicy } from '@microsoft/signalr';
import { channelEventNames, inviteEventNames, voiceEventNames, type ChannelEvent, type InviteEvent, type MyVoiceOverview, type VoiceEvent } from './contract';

/** A DM call's event or a voice channel's, as the hub sent it. */
export type HubEvent = VoiceEvent | ChannelEvent | InviteEvent;

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'stopped';

export interface RealtimeHandlers {
  /** The snapshot after a (re)connect; `reconnected` is false for the first one. */
  synced(overview: MyVoiceOverview, reconnected: boolean): Promise<void>;
  event(event: HubEvent): void;
  status(status: ConnectionStatus): void;
  /** The server refused the token: signing in again is the only way on. */
  unauthorized(): void;
}

// Retry quickly at first, then every few seconds for as long as it takes.
const retryDelaysMs = [0, 500, 1000, 2000];
const steadyRetryMs = 3000;

const foreverPolicy: IRetryPolicy = {
  nextRetryDelayInMilliseconds: ({ previousRetryCount }) => retryDelaysMs[previousRetryCount] ?? steadyRetryMs,
};

export class Realtime {
  private readonly connection: HubConnection;
  private stopped = false;
  private starting = false;
  private syncing = false;
  private held: HubEvent[] = [];

  /** `deviceId` names this tab's device: its joins hold the seat while this connection is open. */
  constructor(
    token: string,
    deviceId: string,
    private readonly handlers: RealtimeHandlers,
    baseUrl = '',
  ) {
    this.connection = new HubConnectionBuilder()
      .withUrl(`${baseUrl}/hubs/voice?deviceId=${encodeURIComponent(deviceId)}`, { accessTokenFactory: () => token })
      .withAutomaticReconnect(foreverPolicy)
      .configureLogging(LogLevel.None)
      .build();

    for (const name of [...voiceEventNames, ...channelEventNames, ...inviteEventNames]) {
      this.connection.on(name, (payload: never) => this.receive({ name, payload } as HubEvent));
    }

    this.connection.onreconnecting(() => handlers.status('reconnecting'));
    this.connection.onreconnected(() => void this.syncUntilDone());
    // Automatic reconnect gives up only when the server refuses; keep trying unless signed out.
    this.connection.onclose(() => {
      if (!this.stopped && !this.starting) void this.startLoop(true);
    });
  }

  get isConnected(): boolean {
    return this.connection.state === HubConnectionState.Connected;
  }

  start(): Promise<void> {
    return this.startLoop(false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.handlers.status('stopped');
    await this.connection.stop();
  }

  private async startLoop(reconnect: boolean): Promise<void> {
    this.starting = true;
    this.handlers.status(reconnect ? 'reconnecting' : 'connecting');
    try {
      for (let attempt = 0; !this.stopped; attempt++) {
        try {
          if (this.connection.state === HubConnectionState.Disconnected) await this.connection.start();
          await this.sync(reconnect);
          return;
        } catch (error) {
          if (isUnauthorized(error)) {
            this.stopped = true;
            this.handlers.unauthorized();
            return;
          }

          // Dropped again right after starting: the automatic reconnect takes it from here.
          if (this.connection.state === HubConnectionState.Reconnecting) return;
          await delay(retryDelaysMs[attempt] ?? steadyRetryMs);
        }
      }
    } finally {
      this.starting = false;
    }
  }

  /** After an automatic reconnect: a failed sync on a live connection is tried again. */
  private async syncUntilDone(): Promise<void> {
    for (let attempt = 0; !this.stopped && this.isConnected; attempt++) {
      try {
        await this.sync(true);
        return;
      } catch {
        await delay(retryDelaysMs[attempt] ?? steadyRetryMs);
      }
    }
  }

  private async sync(reconnected: boolean): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      const overview = await this.connection.invoke<MyVoiceOverview>('sync');
      await this.handlers.synced(overview, reconnected);
      this.handlers.status('connected');
    } finally {
      this.syncing = false;
      const held = this.held;
      this.held = [];
      held.forEach((e) => this.handlers.event(e));
    }
  }

  private receive(event: HubEvent): void {
    if (this.syncing) {
      this.held.push(event);
    } else {
      this.handlers.event(event);
    }
  }
}

function isUnauthorized(error: unknown): boolean {
  return error instanceof Error && /401|unauthori[sz]ed/i.test(error.message);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
