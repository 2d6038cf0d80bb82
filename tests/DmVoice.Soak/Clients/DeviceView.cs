using System.Text.Json;
using DmVoice.Soak.Checking;

namespace DmVoice.Soak.Clients;

/// <summary>
/// What one device believes about every room it knows, kept the way API.md's version rule tells an app
/// to: apply <c>last + 1</c>, ignore what is not newer, and read the presence on a gap or for a room it
/// does not know. Not thread-safe: one device applies its events one at a time.
/// </summary>
public sealed class DeviceView
{
    private readonly Dictionary<string, Room> _rooms = [];

    public enum Outcome
    {
        Applied,
        Duplicate,
        NeedsRead,
    }

    public long? VersionOf(string roomId) => _rooms.TryGetValue(roomId, out var room) ? room.Version : null;

    public bool Knows(string roomId) => _rooms.ContainsKey(roomId);

    /// <summary>Users ringing in rooms this device knows, by room (to pick a ring to decline or dismiss).</summary>
    public IEnumerable<string> RoomsRinging(string userId) => _rooms.Where(r => r.Value.Rings.ContainsKey(userId)).Select(r => r.Key);

    /// <summary>Starts over, as after a reconnect: what follows is <c>sync</c> and reads.</summary>
    public void Clear() => _rooms.Clear();

    public void Forget(string roomId) => _rooms.Remove(roomId);

    /// <summary>Takes a read presence as the room's state, unless the device already applied something newer.</summary>
    public void Replace(RoomSnapshot snapshot)
    {
        if (_rooms.TryGetValue(snapshot.RoomId, out var known) && known.Version >= snapshot.Version)
        {
            return;
        }

        var room = new Room(snapshot.Kind) { Version = snapshot.Version, CallId = snapshot.CallId };
        foreach (var participant in snapshot.Participants.Values)
        {
            room.Participants[participant.UserId] = participant;
        }

        foreach (var ring in snapshot.Ringing)
        {
            room.Rings[ring.UserId] = ring.RingId;
        }

        _rooms[snapshot.RoomId] = room;
    }

    public Outcome Apply(ObservedEvent e, JsonElement payload)
    {
        if (!_rooms.TryGetValue(e.RoomId, out var room))
        {
            // An invite is news for a user who is not a member yet: there is nothing of the room to read.
            return IsInvite(e.Name) ? Outcome.Duplicate : Outcome.NeedsRead;
        }

        if (e.Version <= room.Version)
        {
            return Outcome.Duplicate;
        }

        if (e.Version > room.Version + 1)
        {
            return Outcome.NeedsRead;
        }

        room.Version = e.Version;
        switch (e.Name)
        {
            case "dmVoiceCallStarted":
                room.CallId = e.CallId;
                room.Participants.Clear();
                room.Rings.Clear();
                Seat(room, payload);
                AddRings(room, e.RingsStarted);
                break;
            case "dmVoiceUserJoined" or "voiceChannelUserJoined":
                room.CallId = e.CallId;
                Seat(room, payload);
                break;
            case "dmVoiceUserUpdated" or "dmVoiceSessionMoved" or "voiceChannelUserUpdated" or "voiceChannelSessionMoved":
                Seat(room, payload);
                break;
            case "dmVoiceUserLeft" or "voiceChannelUserLeft":
                room.Participants.Remove(e.SubjectUserId!);
                break;
            case "dmVoiceCallEnded":
                room.CallId = null;
                room.Participants.Clear();
                room.Rings.Clear();
                break;
            case "dmVoiceRingStarted":
                AddRings(room, e.RingsStarted);
                break;
            case "dmVoiceRingStopped":
                if (room.Rings.GetValueOrDefault(e.SubjectUserId!) == e.RingId)
                {
                    room.Rings.Remove(e.SubjectUserId!);
                }

                break;
            case "voiceChannelRemoved":
                // The last event of that channel for this user: drop it, as the API says.
                _rooms.Remove(e.RoomId);
                break;
        }

        return Outcome.Applied;
    }

    private static bool IsInvite(string name) => name is "voiceChannelInvited" or "voiceChannelInviteRemoved";

    public DeviceFinalView Final(string deviceId, string userId, bool liveAndSynced) => new(
        deviceId,
        userId,
        liveAndSynced,
        _rooms.ToDictionary(
            r => r.Key,
            r => new RoomView(r.Key, r.Value.Version, r.Value.CallId, new Dictionary<string, ParticipantState>(r.Value.Participants), r.Value.Rings.Keys.ToList())));

    private static void Seat(Room room, JsonElement payload)
    {
        var participant = Wire.Participant(payload.GetProperty("user"));
        room.Participants[participant.UserId] = participant;
    }

    private static void AddRings(Room room, IReadOnlyList<RingFact>? rings)
    {
        foreach (var ring in rings ?? [])
        {
            room.Rings[ring.UserId] = ring.RingId;
        }
    }

    private sealed class Room(RoomKind kind)
    {
        public RoomKind Kind { get; } = kind;

        public long Version { get; set; }

        public string? CallId { get; set; }

        public Dictionary<string, ParticipantState> Participants { get; } = [];

        public Dictionary<string, string> Rings { get; } = [];
    }
}
