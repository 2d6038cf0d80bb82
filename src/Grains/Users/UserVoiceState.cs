namespace DmVoice.Grains.Users;

[GenerateSerializer]
[Alias("DmVoice.UserVoiceState")]
public sealed class UserVoiceState
{
    [Id(0)] public CallContext? Active { get; set; }

    /// <summary>Counts joins; a call grain's "you were removed" only applies to the session it names.</summary>
    [Id(1)] public long Session { get; set; }

    /// <summary>When the user leaves their call because no device is connected (any more, or yet).</summary>
    [Id(3)] public DateTimeOffset? DisconnectDeadline { get; set; }

    /// <summary>Open device connections (gateway-qualified connection key → gateway id).</summary>
    [Id(4)] public Dictionary<string, string> Devices { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The gateways those devices are on, with the observer each gateway receives events on.</summary>
    [Id(5)] public Dictionary<string, IGatewayObserver> Gateways { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The live calls this user can see (their DMs' calls, their channels' voice), kept by the room grains.</summary>
    [Id(6)] public List<LiveCallRef> LiveCalls { get; set; } = [];

    /// <summary>The device that holds the seat in <see cref="Active"/> (its client's <c>deviceId</c>); null when the join named none.</summary>
    [Id(7)] public string? ActiveDevice { get; set; }

    /// <summary>The kind of that device, as the join said (desktop, mobile, web).</summary>
    [Id(8)] public string? ActiveDeviceKind { get; set; }

    /// <summary>The device id each open connection declared (gateway-qualified connection key → device id).</summary>
    [Id(9)] public Dictionary<string, string> DeviceIds { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Call starts in the user's DMs (DM id → when) not yet handed to the user's DM list
    /// (<see cref="HeldDmActivity"/>); null when none. Stored only with the grain's other writes and at
    /// deactivation, so a list that could not be reached then still gets them from the next activation.
    /// </summary>
    [Id(10)] public Dictionary<string, DateTimeOffset>? HeldDmActivity { get; set; }
}
