namespace DmVoice.Gateway.Realtime;

/// <summary>
/// A user's active call (with the device that holds the seat) and every live call and live voice channel
/// they can see: what a (re)connecting client starts from. Reads the user's index of live calls, so it
/// costs O(live calls), not O(DMs or channels); an entry the room grain no longer confirms (the call
/// ended, the user left the DM or lost access to the channel) is dropped from the index here. Each comes
/// with the statuses of its participants (and, for a DM's call, of those being rung).
/// </summary>
public sealed class VoiceOverviewQuery(IGrainFactory grains, StatusQuery statuses)
{
    public async Task<MyVoiceOverview> GetAsync(string userId)
    {
        var user = grains.GetGrain<IUserVoiceGrain>(userId);
        var seatTask = user.GetSeat();
        var liveCalls = await user.GetLiveCalls();
        var dms = liveCalls.Where(l => l.Call.Kind == CallKinds.Dm).ToArray();
        var channels = liveCalls.Where(l => l.Call.Kind == CallKinds.Channel).ToArray();
        var dmPresences = await Task.WhenAll(dms.Select(live => ReadAsync(
            user, live, () => grains.GetGrain<IDmCallGrain>(live.Call.Id).GetPresence(userId), p => p.CallId, ErrorCodes.DmNotFound)));
        var channelPresences = await Task.WhenAll(channels.Select(live => ReadAsync(
            user, live, () => grains.GetGrain<IVoiceChannelGrain>(live.Call.Id).GetPresence(userId), p => p.CallId, ErrorCodes.ChannelNotFound)));
        var liveDms = await statuses.WithStatusesAsync(dmPresences.OfType<CallPresence>().ToArray());
        var liveChannels = await statuses.WithStatusesAsync(channelPresences.OfType<ChannelPresence>().ToArray());
        var seat = await seatTask;
        var active = seat is null ? null : new ActiveCall(seat.Call.Kind, seat.Call.Id, seat.DeviceId, seat.DeviceKind);
        return new MyVoiceOverview(active, liveDms, liveChannels);
    }

    /// <summary>The room's presence while it is live; otherwise null, and the user's index forgets it.</summary>
    private static async Task<T?> ReadAsync<T>(IUserVoiceGrain user, LiveCallRef live, Func<Task<T>> read, Func<T, string?> callId, string notFound)
        where T : class
    {
        T? presence = null;
        try
        {
            presence = await read();
        }
        catch (DmVoiceException ex) when (ex.Code == notFound)
        {
            // Left the DM, or lost access to the channel, while its deregistration was on its way.
        }

        if (presence is null || callId(presence) is null)
        {
            await user.RemoveLiveCall(live);
            return null;
        }

        return presence;
    }
}
