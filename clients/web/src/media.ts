// Media over LiveKit: a room per call, joined with a token from POST /livekit/dm-token. Presence
// (who is in the call, muted, sharing) is DmVoice's; this module only moves audio and video.

import type { LocalParticipant, RemoteTrack, Room, Track } from 'livekit-client';
import { ApiError, type Api } from './api';

export type MediaStatus =
  | { kind: 'idle' }
  | { kind: 'connecting' }
  | { kind: 'connected' }
  /** The gateway answered 503 livekit_not_configured: calls run without media. */
  | { kind: 'unavailable' }
  | { kind: 'failed'; message: string };

export interface LocalMedia {
  isMuted: boolean;
  isDeafened: boolean;
  isVideoEnabled: boolean;
}

type LiveKit = typeof import('livekit-client');

export class Media {
  status: MediaStatus = { kind: 'idle' };
  private room: Room | undefined;
  private dmGroupId: string | undefined;
  private deafened = false;
  private readonly videos = new Map<string, HTMLVideoElement>();
  private readonly audio = document.createElement('div');

  constructor(
    private readonly api: Api,
    private readonly changed: () => void,
  ) {
    this.audio.hidden = true;
    document.body.append(this.audio);
  }

  get connectedTo(): string | undefined {
    return this.dmGroupId;
  }

  /** Joins the DM's room and publishes the microphone (unless muted) and the camera (if on). */
  async connect(dmGroupId: string, local: LocalMedia): Promise<void> {
    if (this.dmGroupId === dmGroupId || this.status.kind === 'unavailable') return;
    await this.disconnect();
    this.dmGroupId = dmGroupId;
    this.deafened = local.isDeafened;
    this.setStatus({ kind: 'connecting' });
    try {
      const grant = await this.api.liveKitToken(dmGroupId);
      const livekit = await import('livekit-client');
      if (this.dmGroupId !== dmGroupId) return; // Left while the token was on its way.
      const room = new livekit.Room({ adaptiveStream: true, dynacast: true });
      this.watch(livekit, room);
      this.room = room;
      await room.connect(grant.url, grant.token);
      await room.localParticipant.setMicrophoneEnabled(!local.isMuted);
      await room.localParticipant.setCameraEnabled(local.isVideoEnabled);
      this.setStatus({ kind: 'connected' });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'livekit_not_configured') {
        this.dmGroupId = undefined;
        this.setStatus({ kind: 'unavailable' });
        return;
      }

      this.setStatus({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  }

  async disconnect(): Promise<void> {
    const room = this.room;
    this.room = undefined;
    this.dmGroupId = undefined;
    this.videos.clear();
    this.audio.replaceChildren();
    if (this.status.kind !== 'unavailable') this.setStatus({ kind: 'idle' });
    await room?.disconnect();
  }

  setMicrophone(enabled: boolean): Promise<unknown> {
    return this.withLocal((p) => p.setMicrophoneEnabled(enabled));
  }

  setCamera(enabled: boolean): Promise<unknown> {
    return this.withLocal((p) => p.setCameraEnabled(enabled));
  }

  /** Shares the screen; throws when the person cancels the browser's picker. */
  setScreenShare(enabled: boolean): Promise<unknown> {
    return this.withLocal((p) => p.setScreenShareEnabled(enabled, { audio: true }));
  }

  /** Deafened: no remote audio plays. */
  setDeafened(deafened: boolean): void {
    this.deafened = deafened;
    this.audio.querySelectorAll('audio').forEach((a) => (a.muted = deafened));
  }

  /** The video elements showing a user's camera and screen share. */
  videosOf(userId: string): HTMLVideoElement[] {
    return [...this.videos.entries()].filter(([key]) => key.startsWith(`${userId}\n`)).map(([, video]) => video);
  }

  private async withLocal(action: (p: LocalParticipant) => Promise<unknown>): Promise<unknown> {
    return this.room && this.status.kind === 'connected' ? action(this.room.localParticipant) : undefined;
  }

  private watch(livekit: LiveKit, room: Room): void {
    const { RoomEvent } = livekit;
    const videoKey = (identity: string, track: Track) => `${identity}\n${track.source}`;
    room
      .on(RoomEvent.TrackSubscribed, (track: RemoteTrack, _publication, participant) => {
        if (track.kind === livekit.Track.Kind.Audio) {
          const element = track.attach() as HTMLAudioElement;
          element.muted = this.deafened;
          this.audio.append(element);
        } else {
          this.videos.set(videoKey(participant.identity, track), track.attach() as HTMLVideoElement);
        }

        this.changed();
      })
      .on(RoomEvent.TrackUnsubscribed, (track: RemoteTrack, _publication, participant) => {
        track.detach().forEach((element) => element.remove());
        this.videos.delete(videoKey(participant.identity, track));
        this.changed();
      })
      .on(RoomEvent.LocalTrackPublished, (publication, participant) => {
        const track = publication.track;
        if (track && track.kind === livekit.Track.Kind.Video) {
          this.videos.set(videoKey(participant.identity, track), track.attach() as HTMLVideoElement);
          this.changed();
        }
      })
      .on(RoomEvent.LocalTrackUnpublished, (publication, participant) => {
        const track = publication.track;
        if (track) {
          track.detach();
          this.videos.delete(videoKey(participant.identity, track));
          this.changed();
        }
      })
      .on(RoomEvent.Disconnected, () => {
        if (this.room === room && this.status.kind === 'connected') {
          this.setStatus({ kind: 'failed', message: 'The media connection closed.' });
        }
      });
  }

  private setStatus(status: MediaStatus): void {
    this.status = status;
    this.changed();
  }
}
