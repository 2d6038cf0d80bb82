using DmVoice.Grains.LiveKit;

namespace DmVoice.Grains.Rooms;

/// <summary>
/// What every voice room keeps, whatever its kind: who may be in it, the live room if any, the
/// <c>version</c> and the LiveKit commands it owes. Each kind's state class implements it over its
/// own stored fields, so the shared rules (<see cref="VoiceRoomGrain"/>) work on either.
/// </summary>
public interface IVoiceRoomState
{
    /// <summary>Who may see and join the room: the DM's members, or the channel's access list.</summary>
    List<string> Members { get; }

    /// <summary>Bumped on every change and never reset, so it orders events across calls of one room.</summary>
    long Version { get; set; }

    bool ReminderRegistered { get; set; }

    /// <summary>RoomService calls this room still owes LiveKit (removals, the room's deletion).</summary>
    List<MediaCommand> MediaCommands { get; }

    /// <summary>The live room, or null when nobody is in it and the empty grace has passed.</summary>
    ILiveRoomState? Live { get; }

    /// <summary>The room goes live with this call.</summary>
    void StartLive(ILiveRoomState live);

    /// <summary>Forgets the live room: the call is over.</summary>
    void EndLive();
}

/// <summary>A live room: one call, from its first join until it has been empty for the grace.</summary>
public interface ILiveRoomState
{
    string CallId { get; }

    DateTimeOffset StartedAt { get; }

    List<ParticipantState> Participants { get; }

    /// <summary>Set while the room is empty: it ends when the grace after this runs out.</summary>
    DateTimeOffset? EmptySince { get; set; }
}

public static class LiveRoomStateExtensions
{
    public static ParticipantState? FindParticipant(this ILiveRoomState room, string userId) =>
        room.Participants.Find(p => p.Voice.UserId == userId);
}

[GenerateSerializer]
[Alias("DmVoice.ParticipantState")]
public sealed class ParticipantState
{
    [Id(0)] public required VoiceParticipant Voice { get; set; }

    /// <summary>The user grain's join counter, echoed back when the user is removed from the call.</summary>
    [Id(1)] public long Session { get; set; }

    /// <summary>The device that holds the seat (its client's <c>deviceId</c>); null when the join named none.</summary>
    [Id(2)] public string? Device { get; set; }
}
