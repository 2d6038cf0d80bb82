namespace DmVoice.Gateway.Realtime;

/// <summary>A user's active call and every live call in their DMs: what a (re)connecting client starts from.</summary>
public sealed class VoiceOverviewQuery(IGrainFactory grains)
{
    public async Task<MyVoiceOverview> GetAsync(string userId)
    {
        var activeTask = grains.GetGrain<IUserVoiceGrain>(userId).GetActiveCall();
        var dmIds = await grains.GetGrain<IUserDirectoryGrain>(userId).GetDmIds();
        var presences = await Task.WhenAll(dmIds.Select(async id =>
        {
            try
            {
                return await grains.GetGrain<IDmCallGrain>(id).GetPresence(userId);
            }
            catch (DmVoiceException ex) when (ex.Code == ErrorCodes.DmNotFound)
            {
                return null; // Left the DM between the two reads.
            }
        }));
        return new MyVoiceOverview(await activeTask, presences.OfType<CallPresence>().Where(p => p.CallId is not null).ToArray());
    }
}
