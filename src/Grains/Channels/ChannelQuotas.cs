using DmVoice.Grains.Hosting;

namespace DmVoice.Grains.Channels;

/// <summary>
/// What one user may still do with voice channels, decided on their own list (<see cref="UserChannelsState"/>):
/// channels owned and listed (409 <c>limit_reached</c>), creations and access changes per minute (429
/// <c>rate_limited</c> with the wait), and invites waiting for their answer. Each check refuses before it
/// changes anything. Plain C#; the grain stores what these change.
/// </summary>
public sealed class ChannelQuotas(UserChannelsState state, ChannelOptions options)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>Counts a new channel (and the invites it makes) against the creator's limits, or refuses.</summary>
    public void ReserveNewChannel(string channelId, int invites, DateTimeOffset now)
    {
        if (state.Owned.Contains(channelId))
        {
            return;
        }

        if (state.Owned.Count >= options.OwnedPerUser)
        {
            throw new DmVoiceException(ErrorCodes.LimitReached, $"You own {state.Owned.Count} voice channels, the most one user may own; delete one first.");
        }

        EnsureRoomForChannel();
        if (invites > options.AccessChangesPerMinute)
        {
            throw DmVoiceException.Validation($"A new channel may invite at most {options.AccessChangesPerMinute} users at once; invite the others later.");
        }

        ThrowIfOver(state.RecentCreations, 1, options.CreatedPerMinute, now, $"You may create {options.CreatedPerMinute} voice channels a minute; try again shortly.");
        ThrowIfOver(state.RecentAccessChanges, invites, options.AccessChangesPerMinute, now, AccessChangeMessage);
        state.RecentCreations.Add(now);
        state.RecentAccessChanges.AddRange(Enumerable.Repeat(now, invites));
        state.Owned.Add(channelId);
    }

    /// <summary>Counts one invite or removal of another user, or refuses (429).</summary>
    public void SpendAccessChange(DateTimeOffset now)
    {
        ThrowIfOver(state.RecentAccessChanges, 1, options.AccessChangesPerMinute, now, AccessChangeMessage);
        state.RecentAccessChanges.Add(now);
    }

    /// <summary>Refuses (409) when the user's list holds as many channels as one user may.</summary>
    public void EnsureRoomForChannel()
    {
        if (state.ChannelIds.Count >= options.ListedPerUser)
        {
            throw new DmVoiceException(ErrorCodes.LimitReached, $"You have {state.ChannelIds.Count} voice channels, the most one user may have; leave one first.");
        }
    }

    /// <summary>Keeps an invite unless the user already has as many waiting as one user may. Returns whether it is kept.</summary>
    public bool OfferInvite(string channelId)
    {
        if (state.Invites.Contains(channelId))
        {
            return true;
        }

        if (state.Invites.Count >= options.InvitesPendingPerUser)
        {
            return false;
        }

        state.Invites.Add(channelId);
        return true;
    }

    /// <summary>
    /// How long until <paramref name="count"/> more fit into <paramref name="limit"/> a minute, after dropping what
    /// is older than a minute from <paramref name="recent"/> (oldest first); null when they fit now.
    /// </summary>
    public static TimeSpan? WaitFor(List<DateTimeOffset> recent, int count, int limit, DateTimeOffset now)
    {
        recent.RemoveAll(at => at <= now - Minute);
        var over = recent.Count + count - limit;
        if (over <= 0)
        {
            return null;
        }

        // The oldest `over` entries must age out first; the last of them decides the wait.
        var wait = recent[Math.Min(over, recent.Count) - 1] + Minute - now;
        return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;
    }

    private string AccessChangeMessage =>
        $"You may invite or remove {options.AccessChangesPerMinute} users a minute across your voice channels; try again shortly.";

    private static void ThrowIfOver(List<DateTimeOffset> recent, int count, int limit, DateTimeOffset now, string message)
    {
        if (WaitFor(recent, count, limit, now) is { } wait)
        {
            throw new DmVoiceException(ErrorCodes.RateLimited, message, wait);
        }
    }
}
