using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Calls;

/// <summary>The DM call's own log messages; the shared room rules log in <c>VoiceRoomGrain.Log.cs</c>.</summary>
public sealed partial class DmCallGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} started in DM {DmGroupId} by {UserId}, ringing {RingCount}")]
    private partial void LogCallStarted(string dmGroupId, string callId, string userId, int ringCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} in DM {DmGroupId} ended ({Reason}) after {DurationMs} ms")]
    private partial void LogCallEnded(string dmGroupId, string callId, string reason, long durationMs);
}
