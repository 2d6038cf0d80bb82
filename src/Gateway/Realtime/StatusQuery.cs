using DmVoice.Gateway.Contracts;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// What others see of users where presence is shown (a DM's members, a call's participants and ringing):
/// the status each chose, except that an invisible user, or one with no device connected, shows as
/// offline. Two interleaving reads per user (their settings and their devices), for the few users asked.
/// </summary>
public sealed class StatusQuery(IGrainFactory grains)
{
    public async Task<IReadOnlyList<DmMember>> MembersAsync(IReadOnlyList<string> userIds)
    {
        var seen = await Task.WhenAll(userIds.Select(ReadAsync));
        return seen.Select(s => new DmMember(s.Profile.UserId, s.Profile.DisplayName, s.Visible)).ToArray();
    }

    public async Task<IReadOnlyDictionary<string, string>> VisibleStatusesAsync(IEnumerable<string> userIds)
    {
        var seen = await Task.WhenAll(userIds.Distinct(StringComparer.Ordinal).Select(ReadAsync));
        return seen.ToDictionary(s => s.Profile.UserId, s => s.Visible, StringComparer.Ordinal);
    }

    /// <summary>The presence with the statuses of its participants and of those being rung.</summary>
    public async Task<CallPresence> WithStatusesAsync(CallPresence presence) =>
        presence with { Statuses = await VisibleStatusesAsync(UsersIn(presence)) };

    /// <summary>Several presences, each user read once however many calls they appear in.</summary>
    public async Task<IReadOnlyList<CallPresence>> WithStatusesAsync(IReadOnlyList<CallPresence> presences)
    {
        var all = await VisibleStatusesAsync(presences.SelectMany(UsersIn));
        return presences
            .Select(p => p with { Statuses = UsersIn(p).Distinct(StringComparer.Ordinal).ToDictionary(id => id, id => all[id], StringComparer.Ordinal) })
            .ToArray();
    }

    /// <summary>Channels' presences with their participants' statuses (a channel rings nobody).</summary>
    public async Task<IReadOnlyList<ChannelPresence>> WithStatusesAsync(IReadOnlyList<ChannelPresence> presences)
    {
        var all = await VisibleStatusesAsync(presences.SelectMany(p => p.Participants.Select(u => u.UserId)));
        return presences
            .Select(p => p with { Statuses = p.Participants.ToDictionary(u => u.UserId, u => all[u.UserId], StringComparer.Ordinal) })
            .ToArray();
    }

    private static IEnumerable<string> UsersIn(CallPresence presence) =>
        presence.Participants.Select(p => p.UserId).Concat(presence.Ringing.Select(r => r.UserId));

    private async Task<(UserProfile Profile, string Visible)> ReadAsync(string userId)
    {
        var profile = grains.GetGrain<IUserSettingsGrain>(userId).GetProfile();
        var online = grains.GetGrain<IUserVoiceGrain>(userId).HasLiveDevice();
        return (await profile, UserStatuses.Visible((await profile).Status, await online));
    }
}
