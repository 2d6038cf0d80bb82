using DmVoice.Grains.Events;

namespace DmVoice.Rules.Tests;

/// <summary>Room events for the rules' tests: only the version varies, the rest is any one call.</summary>
internal static class TestEvents
{
    /// <summary>Bob left call-1 of dm-1, as version <paramref name="version"/> of the DM.</summary>
    public static UserLeftEvent Left(long version) => new()
    {
        DmGroupId = "dm-1",
        CallId = "call-1",
        Version = version,
        UserId = "bob",
        Reason = LeaveReasons.Left,
    };
}
