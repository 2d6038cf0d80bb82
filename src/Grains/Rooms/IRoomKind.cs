namespace DmVoice.Grains.Rooms;

/// <summary>
/// What differs between kinds of room (a DM's call, a voice channel's voice), as a small policy the
/// shared rules (<see cref="RoomRules"/>) consult. Plain C#: each method changes the kind's state and
/// queues what follows in the room's outbox; none waits on anything.
/// </summary>
public interface IRoomKind
{
    /// <summary>This room as members' user grains know it.</summary>
    CallContext Here { get; }

    /// <summary>Whether the user may see and join the room (a DM's member, a channel's access list).</summary>
    bool IsMember(string userId);

    /// <summary>Throws the kind's "not found" unless the user may see the room: nobody learns of a room they are not in.</summary>
    void EnsureMember(string userId);

    /// <summary>The kind's events for the shared changes (joined, left, updated, seat moved).</summary>
    RoomEvents Events { get; }

    /// <summary>The live state of a call that starts now (stored by the rules as the room's live room).</summary>
    ILiveRoomState CreateLive(RoomStart start, string starterId, DateTimeOffset now);

    /// <summary>Whether one more may join the live room (a channel's user limit; a DM's call has no limit).</summary>
    bool HasRoomForOneMore(ILiveRoomState live);

    /// <summary>Refuses a join into a live room that has no seat left.</summary>
    void EnsureRoomForOneMore(ILiveRoomState live);

    /// <summary>
    /// A participant is in: publish the join (with the call's start for the first joiner) and what
    /// follows from it. Answers the members a DM's new call did not ring (null for anything else).
    /// </summary>
    IReadOnlyList<NotRungEntry>? Joined(RoomRules room, VoiceParticipant participant, RoomStart? start, DateTimeOffset now);

    /// <summary>The room became empty (a DM's rings stop); the grace for a rejoin starts after this.</summary>
    void Emptied(RoomRules room, ILiveRoomState live);

    /// <summary>The kind's own deadlines due by <paramref name="now"/> (a DM's rings), settled before the empty grace.</summary>
    void SettleDeadlines(RoomRules room, ILiveRoomState live, DateTimeOffset now);

    /// <summary>The earliest deadline of the kind's own, if any.</summary>
    DateTimeOffset? NextDeadline(ILiveRoomState live);

    /// <summary>The live room ends for <paramref name="reason"/> (a DM's call end reason; a channel just closes).</summary>
    void End(RoomRules room, ILiveRoomState live, string reason, DateTimeOffset now);
}

/// <summary>The events a kind of room uses for the changes every room shares.</summary>
public sealed record RoomEvents(
    Func<string, long, VoiceParticipant, VoiceEvent> Joined,
    Func<string, long, string, string, VoiceEvent> Left,
    Func<string, long, VoiceParticipant, VoiceEvent> Updated,
    Func<string, long, VoiceParticipant, string, string?, VoiceEvent> SeatMoved);

/// <summary>What members answered when a room asked them (busy elsewhere? may they be rung?), before it changed anything.</summary>
public sealed record MemberAnswers(
    IReadOnlyDictionary<string, MemberStatus> Statuses,
    IReadOnlyDictionary<string, RingVerdict> Verdicts)
{
    public static MemberAnswers None { get; } = new(
        new Dictionary<string, MemberStatus>(StringComparer.Ordinal),
        new Dictionary<string, RingVerdict>(StringComparer.Ordinal));
}

/// <summary>A room going live for its first joiner: the new call's id and what the members answered.</summary>
public sealed record RoomStart(string CallId, MemberAnswers Members);
