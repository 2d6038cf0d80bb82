namespace DmVoice.Abstractions;

/// <summary>Why a participant left a call (the <c>reason</c> of <c>dmVoiceUserLeft</c>).</summary>
public static class LeaveReasons
{
    /// <summary>The user left.</summary>
    public const string Left = "left";

    /// <summary>The user joined another call (one call at a time).</summary>
    public const string Moved = "moved";

    /// <summary>All of the user's connections (or their media connection) went away.</summary>
    public const string Disconnected = "disconnected";

    /// <summary>The user left or was removed from the DM.</summary>
    public const string Removed = "removed";

    /// <summary>The call ended under the user (a 1:1 call nobody answered, or the media room closed).</summary>
    public const string CallEnded = "call_ended";
}

/// <summary>Why a call ended (the <c>reason</c> of <c>dmVoiceCallEnded</c>).</summary>
public static class CallEndReasons
{
    /// <summary>The last participant left and nobody rejoined within the grace period.</summary>
    public const string Ended = "ended";

    /// <summary>1:1: the only recipient declined while the caller was alone.</summary>
    public const string Declined = "declined";

    /// <summary>1:1: the only recipient did not answer in time while the caller was alone.</summary>
    public const string NoAnswer = "no_answer";

    /// <summary>1:1: the only recipient was already in another call.</summary>
    public const string Busy = "busy";

    /// <summary>The media server closed the room.</summary>
    public const string RoomFinished = "room_finished";

    /// <summary>1:1: the only recipient was not rung, because the caller rang them too often lately.</summary>
    public const string RateLimited = "rate_limited";
}

/// <summary>How a ring ended, per recipient (the <c>outcome</c> of <c>dmVoiceRingStopped</c>).</summary>
public static class RingOutcomes
{
    public const string Accepted = "accepted";
    public const string Declined = "declined";
    public const string Dismissed = "dismissed";
    public const string Missed = "missed";
    public const string Cancelled = "cancelled";
    public const string Busy = "busy";
    public const string Removed = "removed";

    /// <summary>
    /// The recipient blocks the caller: not rung. The caller is never told (to them it looks unanswered).
    /// The answer comes from the recipient's user grain (<see cref="MemberStatus.Ring"/>).
    /// </summary>
    public const string Blocked = "blocked";

    /// <summary>The caller rang this recipient too often: not rung (the recipient's user grain answers it: <see cref="MemberStatus.Ring"/>).</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>Outcomes that count as a missed call for the recipient.</summary>
    public static bool IsMissed(string outcome) => outcome is Missed or Busy or Cancelled;
}

/// <summary>A member's outcome in a call record, besides the ring outcomes.</summary>
public static class MemberOutcomes
{
    /// <summary>The member started the call.</summary>
    public const string Started = "started";

    /// <summary>The member joined without being rung (or joined again later).</summary>
    public const string Joined = "joined";

    /// <summary>The member was not rung and did not join.</summary>
    public const string NotRung = "not_rung";
}
