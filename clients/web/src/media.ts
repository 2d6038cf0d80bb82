// Media over LiveKit: a room per call (a DM's or a voice channel's), joined with a token from
// POST /livekit/dm-token or /livekit/channel-token. Presence (who is in the call, muted, sharing)
// is DmVoice's; this module moves audio and video, and reports who speaks and how well each
// participant is connected.

import type { LocalParticipant, Participant, RemoteTrack, Room, Track } from 'livekit-client';
import { ApiError, type Api } from './api';
import { deviceErrorText, type DeviceKind, type Devices } from './devices';

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

/** Which call's room: a DM's (`dm_<id>`) or a voice channel's (`ch_<id>`). */
export interface CallRef {
  kind: 'dm' | 'channel';
  id: string;
}

type LiveKit = typeof import('livekit-client');

export function callKey(call: CallRef): string {
  return `${call.kind}:${call.id}`;
}

export class Media {
  status: MediaStatus = { kind: 'idle' };
  /** Identities (user ids) speaking now, loudest first, as LiveKit reports them. */
  speaking: string[] = [];
  /** Connection quality per identity: excellent, good, poor, lost or unknown. */
  readonly quality = new Map<string, string>();
  private room: Room | undefined;
  private key: string | undefined;
  private deafened = false;
  private readonly videos = new Map<string, HTMLVideoElement>();
  private readonly audio = document.createElement('div');

  constructor(
    private readonly api: Api,
    private readonly devices: Devices,
    private readonly changed: () => void,
  ) {
    this.audio.hidden = true;
    document.body.append(this.audio);
  }

  /** The call whose room is joined (or being joined), as `kind:id`. */
  get connectedTo(): string | undefined {
    return this.key;
  }

  /** Joins the call's room and publishes the microphone (unless muted) and the camera (if on). */
  async connect(call: CallRef, local: LocalMedia): Promise<void> {
    const key = callKey(call);
    if (this.key === key || this.status.kind === 'unavailable') return;
    await this.disconnect();
    this.key = key;
    this.deafened = local.isDeafened;
    this.setStatus({ kind: 'connecting' });
    try {
      const grant = call.kind === 'dm' ? await this.api.liveKitToken(call.id) : await this.api.channelToken(call.id);
      const livekit = await import('livekit-client');
      if (this.key !== key) return; // Left while the token was on its way.
      const chosen = this.devices.chosen;
      const room = new livekit.Room({
        adaptiveStream: true,
        dynacast: true,
        ...(chosen.audioinput ? { audioCaptureDefaults: { deviceId: chosen.audioinput } } : {}),
        ...(chosen.videoinput ? { videoCaptureDefaults: { deviceId: chosen.videoinput } } : {}),
        ...(chosen.audiooutput && this.devices.canChooseOutput ? { audioOutput: { deviceId: chosen.audiooutput } } : {}),
      });
      this.watch(livekit, room);
      this.room = room;
      await room.connect(grant.url, grant.token);
      this.setStatus({ kind: 'connected' });
      await this.publish(() => room.localParticipant.setMicrophoneEnabled(!local.isMuted));
      await this.publish(() => room.localParticipant.setCameraEnabled(local.isVideoEnabled));
    } catch (error) {
      if (error instanceof ApiError && error.code === 'livekit_not_configured') {
        this.key = undefined;
        this.setStatus({ kind: 'unavailable' });
        return;
      }

      this.setStatus({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  }

  async disconnect(): Promise<void> {
    const room = this.room;
    this.room = undefined;
    this.key = undefined;
    this.videos.clear();
    this.speaking = [];
    this.quality.clear();
    this.audio.replaceChildren();
    if (this.status.kind !== 'unavailable') this.setStatus({ kind: 'idle' });
    await room?.disconnect();
  }

  setMicrophone(enabled: boolean): Promise<unknown> {
    return this.withLocal((p) => this.publish(() => p.setMicrophoneEnabled(enabled)));
  }

  setCamera(enabled: boolean): Promise<unknown> {
    return this.withLocal((p) => this.publish(() => p.setCameraEnabled(enabled)));
  }

  /** Shares the screen; throws when the person cancels the browser's picker. */
  setScreenShare(enabled: boolean): Promise<unknown> {
    return this.withLocal((p) => p.setScreenShareEnabled(enabled, { audio: true }));
  }

  /** Moves the live call to another device of a kind; the call itself goes on. */
  async switchDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    if (!this.room || this.status.kind !== 'connected') return;
    if (kind === 'audiooutput' && !this.devices.canChooseOutput) return;
    try {
      await this.room.switchActiveDevice(kind, deviceId || 'default');
    } catch (error) {
      this.devices.report(deviceErrorText(error));
    }
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

  isSpeaking(userId: string): boolean {
    return this.status.kind === 'connected' && this.speaking.includes(userId);
  }

  /** Publishing that fails for a device reason (refused, missing) is told in words; the call goes on. */
  private async publish(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.devices.report(deviceErrorText(error));
    }
  }

  private async withLocal(action: (p: LocalParticipant) => Promise<unknown>): Promise<unknown> {
    return this.room && this.status.kind === 'connected' ? action(this.room.localParticipant) : undefined;
  }

  private watch(livekit: LiveKit, room: Room): void {
    const { RoomEvent } = livekit;
    const videoKey = (identity: string, track: Track) => `${identity}\n${track.source}`;
    const mine = () => this.room === room;
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
      .on(RoomEvent.ActiveSpeakersChanged, (speakers: Participant[]) => {
        if (!mine()) return;
        this.speaking = speakers.map((s) => s.identity);
        this.changed();
      })
      .on(RoomEvent.ConnectionQualityChanged, (quality, participant: Participant) => {
        if (!mine()) return;
        this.quality.set(participant.identity, String(quality));
        this.changed();
      })
      .on(RoomEvent.MediaDevicesError, (error: Error) => this.devices.report(deviceErrorText(error)))
      .on(RoomEvent.Disconnected, () => {
        if (mine() && this.status.kind === 'connected') {
          this.setStatus({ kind: 'failed', message: 'The media connection closed.' });
        }
      });
  }

  private setStatus(status: MediaStatus): void {
    this.status = status;
    this.changed();
  }
}
