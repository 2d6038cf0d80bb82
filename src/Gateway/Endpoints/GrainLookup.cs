namespace DmVoice.Gateway.Endpoints;

internal static class GrainLookup
{
    /// <summary>The DM's call grain, for a route's <c>dmGroupId</c> (validated first: 422 for a bad id).</summary>
    public static IDmCallGrain DmCall(this IGrainFactory grains, string dmGroupId) =>
        grains.GetGrain<IDmCallGrain>(Validate.Id(dmGroupId, "dmGroupId"));
}
