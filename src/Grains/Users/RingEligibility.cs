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

    /// <summary>
    /// Each stored ring of this user in the last hour, oldest first: who rang, and when (UTC ticks). One small
    /// list, null until the first ring: most users are rung by few callers, and every rung user keeps one.
    /// </summary>
    private List<(string CallerId, long AtTicks)>? _rings;

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
        // Rings older than an hour no longer count.
        _rings ??= new List<(string, long)>(1);
        var expired = 0;
        while (expired < _rings.Count && _rings[expired].AtTicks <= (now - Hour).UtcTicks)
        {
            expired++;
        }

        _rings.RemoveRange(0, expired);
        _rings.Add((callerId, now.UtcTicks));
    }

    private bool IsOverLimit(string callerId, DateTimeOffset now)
    {
        if (_rings is null)
        {
            return false;
        }

        var (lastHour, lastMinute) = (0, 0);
        foreach (var (caller, atTicks) in _rings)
        {
            if (caller == callerId && atTicks > (now - Hour).UtcTicks)
            {
                lastHour++;
                lastMinute += atTicks > (now - Minute).UtcTicks ? 1 : 0;
            }
        }

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
