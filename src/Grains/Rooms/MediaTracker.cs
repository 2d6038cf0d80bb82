using DmVoice.Grains.LiveKit;

namespace DmVoice.Grains.Rooms;

/// <summary>
/// What a room remembers, in memory only, to tell LiveKit's news apart: when each user joined and left
/// the call, whose seat moved to a device whose media has not shown up yet, and who is in the LiveKit
/// room without the right to be (strays). Plain C#; times are real time, LiveKit's clock domain, not
/// the call clock. A new activation simply has no history and skips the staleness checks.
/// </summary>
public sealed class MediaTracker(bool enabled, Func<DateTimeOffset> now)
{
    /// <summary>LiveKit reports times in whole seconds, and its clock is not ours: compare with slack.</summary>
    public static readonly TimeSpan ClockTolerance = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, DateTimeOffset> _joinedCallAt = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _leftCallAt = new(StringComparer.Ordinal);

    // Users whose seat moved to another device whose media LiveKit has not reported yet: a "left" now is
    // the old device's (hanging up after the move, or put out by LiveKit as a duplicate identity).
    private readonly HashSet<string> _awaitingMovedMedia = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _straySince = new(StringComparer.Ordinal);
    private string? _callId;
    private DateTimeOffset? _callStartedAt;

    /// <summary>Whether LiveKit is configured: without it nothing is tracked and no command is owed.</summary>
    public bool Enabled => enabled;

    public DateTimeOffset Now => now();

    public void Joined(string userId, string callId)
    {
        if (!enabled)
        {
            return;
        }

        var at = now();
        if (_callId != callId)
        {
            _callId = callId;
            _callStartedAt = at;
        }

        _joinedCallAt[userId] = at;
        _leftCallAt.Remove(userId);
    }

    public void SeatMoved(string userId, string callId)
    {
        Joined(userId, callId);
        if (enabled)
        {
            _awaitingMovedMedia.Add(userId);
        }
    }

    public void Left(string userId)
    {
        _awaitingMovedMedia.Remove(userId);
        if (!enabled)
        {
            return;
        }

        _joinedCallAt.Remove(userId);
        _leftCallAt[userId] = now();
    }

    /// <summary>The call ended: only who left stays remembered (their leftover media must not rejoin them).</summary>
    public void CallEnded()
    {
        _joinedCallAt.Clear();
        _awaitingMovedMedia.Clear();
        _straySince.Clear();
    }

    /// <summary>Forgets who left, except members (a former member's leftover media is a stray by membership anyway).</summary>
    public void ForgetLeftExcept(Func<string, bool> keep)
    {
        foreach (var userId in _leftCallAt.Keys.Where(id => !keep(id)).ToArray())
        {
            _leftCallAt.Remove(userId);
        }
    }

    /// <summary>The new device's media showed up after a seat move: a later "left" is a real one again.</summary>
    public void MovedMediaArrived(string userId) => _awaitingMovedMedia.Remove(userId);

    /// <summary>Whether a LiveKit "left" for the user is stale: the old device after a seat move, or a session older than the join.</summary>
    public bool IsStaleLeft(string userId, DateTimeOffset? mediaJoinedAt) =>
        _awaitingMovedMedia.Contains(userId)
        || (mediaJoinedAt is { } mediaStart && _joinedCallAt.TryGetValue(userId, out var joined) && joined > mediaStart + ClockTolerance);

    /// <summary>Whether a "room finished" is about an earlier call's room (created before this call started).</summary>
    public bool IsStaleRoomFinished(string callId, DateTimeOffset? roomCreatedAt) =>
        roomCreatedAt is { } created && _callId == callId && _callStartedAt > created + ClockTolerance;

    /// <summary>How a user seen in the LiveKit room stands with the call (<paramref name="roomForOneMore"/>: a seat is free for them).</summary>
    public MediaJoinCheck Check(bool isMember, bool inCall, bool roomForOneMore, string userId, DateTimeOffset? mediaJoinedAt)
    {
        if (!isMember)
        {
            return MediaJoinCheck.NotMember;
        }

        if (inCall)
        {
            return MediaJoinCheck.AlreadyInCall;
        }

        // A media session that began before the user left the call is a leftover (the client has not hung up
        // yet, or our RemoveParticipant is still on its way): joining them would undo their leave or move.
        if (_leftCallAt.TryGetValue(userId, out var leftAt) && (mediaJoinedAt ?? DateTimeOffset.MinValue) < leftAt)
        {
            return MediaJoinCheck.LeftSince;
        }

        return roomForOneMore ? MediaJoinCheck.Join : MediaJoinCheck.Full;
    }

    /// <summary>In the room without the right to be: not a member, left the call after this media session began, or no seat was free for them.</summary>
    public static bool IsStray(MediaJoinCheck check) => check is MediaJoinCheck.NotMember or MediaJoinCheck.LeftSince or MediaJoinCheck.Full;

    /// <summary>
    /// Participants of the call the sweep did not see in the LiveKit room for the whole grace. One seen
    /// missing for the first time since this activation starts its grace now.
    /// </summary>
    public IReadOnlyList<string> LongAbsent(IEnumerable<string> participants, IReadOnlySet<string> present, TimeSpan grace)
    {
        var at = now();
        var absent = new List<string>();
        foreach (var userId in participants)
        {
            if (present.Contains(userId))
            {
                continue;
            }

            if (!_joinedCallAt.TryGetValue(userId, out var since))
            {
                _joinedCallAt[userId] = at;
            }
            else if (at - since >= grace)
            {
                absent.Add(userId);
            }
        }

        return absent;
    }

    /// <summary>
    /// Strays the sweep has seen for the whole grace (their client was told, or a webhook's removal is on
    /// its way): they are owed a RemoveParticipant. Strays seen for the first time start their grace.
    /// </summary>
    public IReadOnlyList<string> StraysPastGrace(IReadOnlySet<string> strays, TimeSpan grace)
    {
        var at = now();
        foreach (var gone in _straySince.Keys.Where(id => !strays.Contains(id)).ToArray())
        {
            _straySince.Remove(gone);
        }

        var evicted = new List<string>();
        foreach (var userId in strays)
        {
            if (!_straySince.TryGetValue(userId, out var since))
            {
                _straySince[userId] = at;
            }
            else if (at - since >= grace)
            {
                evicted.Add(userId);
                _straySince.Remove(userId);
            }
        }

        return evicted;
    }
}
