using DmVoice.Grains.LiveKit;

namespace DmVoice.Grains.Rooms;

/// <summary>
/// The decision of one turn of a room's rules: everything that must happen once the new state is
/// stored, in order. The rules (<see cref="RoomRules"/> and the kind's policy) only fill it; the grain
/// writes the state and then carries it out (<see cref="RoomHost"/>), or drops it whole when the write
/// fails, so nothing is told of a change that was not stored.
/// </summary>
public sealed class RoomOutbox
{
    /// <summary>Events with the users who hear them, in the order the changes were made.</summary>
    public List<(VoiceEvent Event, string[] Audience)> Events { get; } = [];

    /// <summary>Users the room took out of the call on its own (not at their request): their user grain must forget the seat.</summary>
    public List<(string UserId, long Session)> Removals { get; } = [];

    /// <summary>Users who stop seeing the live call (it ended, or they lost access): deregistered after the events.</summary>
    public List<(string UserId, string CallId)> Detachments { get; } = [];

    /// <summary>LiveKit commands were added to the owed ones: the sender must be armed.</summary>
    public bool MediaCommandsQueued { get; set; }

    /// <summary>A DM call's records of calls that ended in this turn (stored with the call state, moved to the history soon after).</summary>
    public List<CallRecord> Records { get; } = [];

    /// <summary>Members whose ring of a call that ended went unanswered (not those rung hidden): their missed calls.</summary>
    public List<(string UserId, CallRecord Record)> MissedCalls { get; } = [];

    /// <summary>Push notifications of rings started and stopped, in order.</summary>
    public List<(string Recipient, RingStartedPush? Started, RingStoppedPush? Stopped)> Pushes { get; } = [];

    /// <summary>Rings of a call that started, counted against each caller's per-recipient limit once stored.</summary>
    public List<(string Recipient, string CallerId)> RingCounts { get; } = [];

    /// <summary>A call started at this time: the DM moves up in every member's list.</summary>
    public DateTimeOffset? ActivityAt { get; set; }

    /// <summary>Whether the state changed in a way that must be stored (a turn that only reads owes no write).</summary>
    public bool StateChanged { get; set; }

    public void Clear()
    {
        Events.Clear();
        Removals.Clear();
        Detachments.Clear();
        MediaCommandsQueued = false;
        Records.Clear();
        MissedCalls.Clear();
        Pushes.Clear();
        RingCounts.Clear();
        ActivityAt = null;
        StateChanged = false;
    }

    /// <summary>Takes what is queued and leaves the outbox empty for the next turn.</summary>
    public RoomOutbox Take()
    {
        var taken = new RoomOutbox { MediaCommandsQueued = MediaCommandsQueued, ActivityAt = ActivityAt, StateChanged = StateChanged };
        taken.Events.AddRange(Events);
        taken.Removals.AddRange(Removals);
        taken.Detachments.AddRange(Detachments);
        taken.Records.AddRange(Records);
        taken.MissedCalls.AddRange(MissedCalls);
        taken.Pushes.AddRange(Pushes);
        taken.RingCounts.AddRange(RingCounts);
        Clear();
        return taken;
    }

    /// <summary>Owes LiveKit a RoomService call, stored with the change that needs it.</summary>
    public void OweMedia(List<MediaCommand> owed, MediaCommandKind kind, string? userId, DateTimeOffset now, bool liveKitConfigured)
    {
        if (liveKitConfigured)
        {
            MediaCommands.Queue(owed, kind, userId, now);
            MediaCommandsQueued = true;
            StateChanged = true;
        }
    }
}
