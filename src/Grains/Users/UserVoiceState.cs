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

    /// <summary>The live calls this user can see (their DMs' calls), kept by the call grains.</summary>
    [Id(6)] public List<LiveCallRef> LiveCalls { get; set; } = [];
}
