
namespace DmVoice.Grains.Calls;

[GenerateSerializer]
[Alias("DmVoice.DmCallState")]
public sealed class DmCallState : IVoiceRoomState
{
    /// <summary>False until the DM group grain has pushed membership: the DM does not exist yet.</summary>
    [Id(0)] public bool Known { get; set; }
    [Id(1)] public List<string> Members { get; set; } = [];
    [Id(2)] public bool IsGroup { get; set; }

    /// <summary>Bumped on every change and never reset, so it orders events across calls of one DM.</summary>
    [Id(3)] public long Version { get; set; }
    [Id(4)] public LiveCallState? Call { get; set; }
    [Id(5)] public bool ReminderRegistered { get; set; }

    /// <summary>
    /// When each member last rang others, within the rate window (call time). Stored, so the limit
    /// holds across deactivations and restarts.
    /// </summary>
    [Id(6)] public Dictionary<string, List<DateTimeOffset>> RecentRings { get; set; } = new(StringComparer.Ordinal);

    /// <summary>RoomService calls this DM still owes LiveKit (removals, the room's deletion).</summary>
    [Id(7)] public List<LiveKit.MediaCommand> MediaCommands { get; set; } = [];

    /// <summary>
    /// Records of calls that ended since the history was last stored: written with the call's end (one
    /// write), moved into the history state a few seconds later, several at a time. A new activation puts
    /// back into the history whatever its stored copy lacks.
    /// </summary>
    [Id(8)] public List<UnsavedRecord> UnsavedHistory { get; set; } = [];

    ILiveRoomState? IVoiceRoomState.Live => Call;

    void IVoiceRoomState.StartLive(ILiveRoomState live) => Call = (LiveCallState)live;

    void IVoiceRoomState.EndLive() => Call = null;
}

[GenerateSerializer]
[Alias("DmVoice.LiveCallState")]
public sealed class LiveCallState : ILiveRoomState
{
    [Id(0)] public string CallId { get; set; } = string.Empty;
    [Id(1)] public DateTimeOffset StartedAt { get; set; }
    [Id(2)] public string StartedBy { get; set; } = string.Empty;
    [Id(3)] public List<ParticipantState> Participants { get; set; } = [];
    [Id(4)] public List<RingState> Rings { get; set; } = [];

    /// <summary>Per member: how they took part so far (ring outcomes, started, joined).</summary>
    [Id(5)] public Dictionary<string, string> Outcomes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Everyone who was in the call at some point, in order of first join.</summary>
    [Id(6)] public List<string> EverJoined { get; set; } = [];

    /// <summary>Set while the call is empty: it ends when the grace after this runs out.</summary>
    [Id(7)] public DateTimeOffset? EmptySince { get; set; }

    /// <summary>
    /// Members rung hidden because they blocked a caller: the call's record shows them what everyone
    /// else sees of them (an unanswered ring), and only they see <c>blocked</c>.
    /// </summary>
    [Id(8)] public HashSet<string> BlockedRecipients { get; set; } = new(StringComparer.Ordinal);

    public RingState? FindRing(string userId) => Rings.Find(r => r.Entry.UserId == userId);
}

[GenerateSerializer]
[Alias("DmVoice.RingState")]
public sealed class RingState
{
    [Id(0)] public required RingingEntry Entry { get; set; }

    /// <summary>Silenced by the recipient: their devices stop, the others still see it ring until it expires.</summary>
    [Id(1)] public bool Dismissed { get; set; }

    /// <summary>
    /// The recipient blocked the caller: they are not rung at all, while everyone else sees an ordinary
    /// ring that goes unanswered (a block is not revealed). Recorded as <c>blocked</c>.
    /// </summary>
    [Id(2)] public bool Hidden { get; set; }

    /// <summary>Whom to tell when the ring ends: the recipient unless hidden or already dismissed.</summary>
    public bool RecipientHearsOfIt => !Dismissed && !Hidden;
}

[GenerateSerializer]
[Alias("DmVoice.CallHistoryState")]
public sealed class CallHistoryState
{
    /// <summary>Oldest first; trimmed to the configured limit.</summary>
    [Id(0)] public List<CallRecord> Records { get; set; } = [];

    /// <summary>Per call id: members who were rung hidden (they had blocked a caller); only they read <c>blocked</c>.</summary>
    [Id(1)] public Dictionary<string, List<string>> BlockedRecipients { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>A call's record not yet in the stored history, with the members rung hidden in it.</summary>
[GenerateSerializer]
[Alias("DmVoice.UnsavedRecord")]
public sealed record UnsavedRecord(
    [property: Id(0)] CallRecord Record,
    [property: Id(1)] List<string> BlockedRecipients);
