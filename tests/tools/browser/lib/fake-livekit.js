// A fake of livekit-client's module, served in place of the real chunk by fake-livekit.mjs. It has
// what the web client uses: Room (connect, publish, switch devices, events) and the enums. The
// scenario drives it through window.fakeLiveKit: `rooms` (the newest last), `calls` (what the
// client asked for, in order), `refuse` (a device kind whose publishing fails as a browser that
// refuses the permission does), and `emit(event, ...args)` on a room.

const fakeLiveKit = (window.fakeLiveKit ??= { rooms: [], calls: [], refuse: null });

export const RoomEvent = {
  TrackSubscribed: 'trackSubscribed',
  TrackUnsubscribed: 'trackUnsubscribed',
  LocalTrackPublished: 'localTrackPublished',
  LocalTrackUnpublished: 'localTrackUnpublished',
  ActiveSpeakersChanged: 'activeSpeakersChanged',
  ConnectionQualityChanged: 'connectionQualityChanged',
  MediaDevicesError: 'mediaDevicesError',
  Disconnected: 'disconnected',
};

export const Track = { Kind: { Audio: 'audio', Video: 'video' }, Source: { Camera: 'camera', Microphone: 'microphone', ScreenShare: 'screen_share' } };

export const ConnectionQuality = { Excellent: 'excellent', Good: 'good', Poor: 'poor', Lost: 'lost', Unknown: 'unknown' };

function refused(kind) {
  if (fakeLiveKit.refuse !== kind) return null;
  return new DOMException('Permission denied', 'NotAllowedError');
}

export class Room {
  constructor(options) {
    this.options = options;
    this.listeners = new Map();
    this.state = 'disconnected';
    const record = (name, ...args) => fakeLiveKit.calls.push({ name, args });
    this.record = record;
    this.localParticipant = {
      identity: '',
      async setMicrophoneEnabled(enabled) {
        record('setMicrophoneEnabled', enabled);
        const error = enabled && refused('audioinput');
        if (error) throw error;
      },
      async setCameraEnabled(enabled) {
        record('setCameraEnabled', enabled);
        const error = enabled && refused('videoinput');
        if (error) throw error;
      },
      async setScreenShareEnabled(enabled) {
        record('setScreenShareEnabled', enabled);
      },
    };
    fakeLiveKit.rooms.push(this);
    record('new Room', options);
  }

  on(event, listener) {
    const list = this.listeners.get(event) ?? [];
    list.push(listener);
    this.listeners.set(event, list);
    return this;
  }

  off(event, listener) {
    this.listeners.set(event, (this.listeners.get(event) ?? []).filter((l) => l !== listener));
    return this;
  }

  emit(event, ...args) {
    for (const listener of this.listeners.get(event) ?? []) listener(...args);
  }

  async connect(url, token) {
    this.record('connect', url, token);
    // The identity is the token's subject: the user id.
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    this.localParticipant.identity = payload.sub;
    this.state = 'connected';
  }

  async disconnect() {
    this.record('disconnect');
    this.state = 'disconnected';
  }

  async switchActiveDevice(kind, deviceId) {
    this.record('switchActiveDevice', kind, deviceId);
    return true;
  }
}
