using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Calls;

/// <summary>The call grain's log messages, in one place.</summary>
public sealed partial class DmCallGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} started in DM {DmGroupId} by {UserId}, ringing {RingCount}")]
    private partial void LogCallStarted(string dmGroupId, string callId, string userId, int ringCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} in DM {DmGroupId} ended ({Reason}) after {DurationMs} ms")]
    private partial void LogCallEnded(string dmGroupId, string callId, string reason, long durationMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {EventName} v{Version} for DM {DmGroupId} failed")]
    private partial void LogPublishFailed(Exception exception, string dmGroupId, string eventName, long version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DM {DmGroupId}: the user grain of member {UserId} could not be reached for routes; retrying")]
    private partial void LogMemberUnreachable(Exception exception, string dmGroupId, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "DM {DmGroupId}: ignored a LiveKit 'left' for {UserId} about a media session older than their join")]
    private partial void LogStaleMediaLeft(string dmGroupId, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "DM {DmGroupId}: ignored room_finished for a room older than call {CallId}")]
    private partial void LogStaleRoomFinished(string dmGroupId, string callId);

    [LoggerMessage(Level = LogLevel.Information, Message = "DM {DmGroupId}: {UserId} joined the LiveKit room without being allowed in the call ({Check}); removing them from the room")]
    private partial void LogStrayInRoom(string dmGroupId, string userId, MediaJoinCheck check);

    [LoggerMessage(Level = LogLevel.Information, Message = "DM {DmGroupId}: {UserId} has been in the LiveKit room for {Grace} without being allowed in the call; removing them from the room")]
    private partial void LogStrayEvicted(string dmGroupId, string userId, TimeSpan grace);

    [LoggerMessage(Level = LogLevel.Information, Message = "DM {DmGroupId}: {UserId} has not been in the LiveKit room for {Grace}; removing as disconnected")]
    private partial void LogAbsentFromRoom(string dmGroupId, string userId, TimeSpan grace);

    [LoggerMessage(Level = LogLevel.Information, Message = "DM {DmGroupId}: {UserId} is in the LiveKit room but not in the call; joining them")]
    private partial void LogJoiningFromRoom(string dmGroupId, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DM {DmGroupId}: joining {UserId} from the LiveKit room failed")]
    private partial void LogJoinFromRoomFailed(Exception exception, string dmGroupId, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DM {DmGroupId}: LiveKit sweep skipped, ListParticipants failed: {Error}")]
    private partial void LogSweepFailed(string dmGroupId, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "DM {DmGroupId}: LiveKit sweep failed {Count} times in a row: {Error}")]
    private partial void LogSweepStillFailing(string dmGroupId, int count, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "DM {DmGroupId}: LiveKit sweep works again after {Count} failures")]
    private partial void LogSweepRecovered(string dmGroupId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DM {DmGroupId}: reconciling with the LiveKit room failed")]
    private partial void LogReconcileFailed(Exception exception, string dmGroupId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DM {DmGroupId}: LiveKit command failed ({Error}); retrying with backoff")]
    private partial void LogMediaCommandRetry(string dmGroupId, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "DM {DmGroupId}: LiveKit command {Command} given up after {Attempts} attempts ({Error})")]
    private partial void LogMediaCommandGivenUp(string dmGroupId, string command, int attempts, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DM {DmGroupId}: could not store what came of sending LiveKit commands; they are sent again later")]
    private partial void LogMediaCommandsNotSettled(Exception exception, string dmGroupId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DM {DmGroupId}: {UserId}'s user grain places them elsewhere; removing them from the call")]
    private partial void LogGhostParticipant(string dmGroupId, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DM {DmGroupId}: {UserId} believes they are in the call but holds no seat; telling them")]
    private partial void LogSeatlessMember(string dmGroupId, string userId);
}
