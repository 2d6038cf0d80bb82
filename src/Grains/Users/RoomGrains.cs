namespace DmVoice.Grains.Users;

internal static class RoomGrains
{
    /// <summary>The room grain behind a call context, for the calls every kind of room answers.</summary>
    public static IVoiceRoomGrain RoomOf(this IGrainFactory grains, CallContext call) => call.Kind switch
    {
        CallKinds.Dm => grains.GetGrain<IDmCallGrain>(call.Id),
        CallKinds.Channel => grains.GetGrain<IVoiceChannelGrain>(call.Id),
        _ => throw new ArgumentOutOfRangeException(nameof(call), call.Kind, "Unknown kind of call"),
    };
}
