namespace DmVoice.Gateway.Realtime;

/// <summary>
/// A user's active call and every live call they can see: what a (re)connecting client starts from.
/// Reads the user's index of live calls, so it costs O(live calls), not O(DMs); an entry the call
/// grain no longer confirms (the call ended, the user left the DM) is dropped from the index here.
/// Each call comes with the statuses of its participants and of those being rung.
/// </summary>
public sealed class VoiceOverviewQuery(IGrainFactory grains, StatusQuery statuses)
{
    public async Task<MyVoiceOverview> GetAsync(string userId)
    {
        var user = grains.GetGrain<IUserVoiceGrain>(userId);
        var activeTask = user.GetActiveCall();
        var liveCalls = await user.GetLiveCalls();
        var presences = await Task.WhenAll(liveCalls.Select(async live =>
        {
            CallPresence? presence = null;
            try
            {
                presence = live.Call.Kind == CallKinds.Dm ? await grains.GetGrain<IDmCallGrain>(live.Call.Id).GetPresence(userId) : null;
            }
            catch (DmVoiceException ex) when (ex.Code == ErrorCodes.DmNotFound)
            {
                // Left the DM while its deregistration was on its way.
            }

            if (presence?.CallId is null)
            {
                await user.RemoveLiveCall(live);
            }

            return presence?.CallId is null ? null : presence;
        }));
        var live = await statuses.WithStatusesAsync(presences.OfType<CallPresence>().ToArray());
        return new MyVoiceOverview(await activeTask, live);
    }
}
