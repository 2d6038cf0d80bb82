namespace DmVoice.Grains.Users;

/// <summary>
/// Whether a caller may ring this user, and how: the user's ring settings (a copy of what their settings
/// grain decides) and the rings each caller made of them lately. Plain code over the time it is given.
/// <para>
/// A caller over <paramref name="perMinute"/> rings in the last minute or <paramref name="perHour"/> in the
/// last hour is not rung, and that is answered before the block: a blocked caller at the limit is told
/// exactly what anyone else at it is told, so the limit cannot reveal a block. Their hidden rings count like
/// any other (the call counts every ring it stores). Below the limit a blocked caller is never rung, and
/// do-not-disturb or a muted DM makes the ring silent. Asking changes nothing: a ring counts once the call
/// has stored it (<see cref="Count"/>), so a call start that fails spends none of the caller's allowance.
/// </para>
/// </summary>
public sealed class RingEligibility(int perMinute, int perHour)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    /// <summary>Caller id → when their recent rings of this user were (oldest first, at most an hour back); null until the first.</summary>
    private Dictionary<string, Queue<DateTimeOffset>>? _ringsByCaller;

    public RingVerdict Decide(RingSettings settings, string callerId, string dmGroupId, DateTimeOffset now)
    {
        if (IsOverLimit(callerId, now))
        {
            return RingVerdict.RateLimited;
        }

        if (Array.IndexOf(settings.Blocked, callerId) >= 0)
        {
            return RingVerdict.Blocked;
        }

        return settings.DoNotDisturb || IsMuted(settings, dmGroupId, now) ? RingVerdict.Silent : RingVerdict.Ring;
    }

    /// <summary><paramref name="callerId"/> rang this user at <paramref name="now"/> (the ring is stored).</summary>
    public void Count(string callerId, DateTimeOffset now)
    {
        _ringsByCaller ??= new Dictionary<string, Queue<DateTimeOffset>>(StringComparer.Ordinal);
        if (!_ringsByCaller.TryGetValue(callerId, out var recent))
        {
            recent = new Queue<DateTimeOffset>();
            _ringsByCaller[callerId] = recent;
        }

        recent.Enqueue(now);

        // Rings older than an hour no longer count; callers who rang nobody for an hour need no memory.
        foreach (var (caller, rings) in _ringsByCaller.ToArray())
        {
            while (rings.Count > 0 && rings.Peek() <= now - Hour)
            {
                rings.Dequeue();
            }

            if (rings.Count == 0)
            {
                _ringsByCaller.Remove(caller);
            }
        }
    }

    private bool IsOverLimit(string callerId, DateTimeOffset now)
    {
        if (_ringsByCaller is null || !_ringsByCaller.TryGetValue(callerId, out var recent))
        {
            return false;
        }

        var lastHour = recent.Count(at => at > now - Hour);
        var lastMinute = recent.Count(at => at > now - Minute);
        return lastHour >= perHour || lastMinute >= perMinute;
    }

    private static bool IsMuted(RingSettings settings, string dmGroupId, DateTimeOffset now)
    {
        foreach (var mute in settings.MutedDms)
        {
            if (mute.DmGroupId == dmGroupId)
            {
                return mute.MutedUntil is null || mute.MutedUntil > now;
            }
        }

        return false;
    }
}
