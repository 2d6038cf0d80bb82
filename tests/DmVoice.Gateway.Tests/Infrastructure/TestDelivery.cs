namespace DmVoice.Gateway.Tests.Infrastructure;

/// <summary>
/// The event delivery mode this build of the suite runs in: DmVoice.Gateway.Tests runs it with
/// direct pushes to gateways, DmVoice.Gateway.Tests.Streams (same sources) with per-user streams.
/// </summary>
public static class TestDelivery
{
#if EVENT_DELIVERY_STREAMS
    public const string Mode = "Streams";
#else
    public const string Mode = "Direct";
#endif
}
