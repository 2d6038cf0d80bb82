using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Rooms;

/// <summary>The shared room rules' log messages, in one place. Rooms are named "dm &lt;id&gt;" or "channel &lt;id&gt;".</summary>
public abstract partial class VoiceRoomGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "{Room}: {UserId}'s seat moved from device {PreviousDevice} to {Device}")]
    private partial void LogSeatMoved(string room, string userId, string? previousDevice, string device);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {EventName} v{Version} for {Room} failed")]
    private partial void LogPublishFailed(Exception exception, string room, string eventName, long version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: the user grain of member {UserId} could not be reached for routes; retrying")]
    private partial void LogMemberUnreachable(Exception exception, string room, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Room}: ignored a LiveKit 'left' for {UserId} about a media session older than their join")]
    private partial void LogStaleMediaLeft(string room, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Room}: ignored room_finished for a room older than call {CallId}")]
    private partial void LogStaleRoomFinished(string room, string callId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Room}: {UserId} joined the LiveKit room without being allowed in the call ({Check}); removing them from the room")]
    private partial void LogStrayInRoom(string room, string userId, MediaJoinCheck check);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Room}: {UserId} has been in the LiveKit room for {Grace} without being allowed in the call; removing them from the room")]
    private partial void LogStrayEvicted(string room, string userId, TimeSpan grace);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Room}: {UserId} has not been in the LiveKit room for {Grace}; removing as disconnected")]
    private partial void LogAbsentFromRoom(string room, string userId, TimeSpan grace);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Room}: {UserId} is in the LiveKit room but not in the call; joining them")]
    private partial void LogJoiningFromRoom(string room, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: joining {UserId} from the LiveKit room failed")]
    private partial void LogJoinFromRoomFailed(Exception exception, string room, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: LiveKit sweep skipped, ListParticipants failed: {Error}")]
    private partial void LogSweepFailed(string room, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Room}: LiveKit sweep failed {Count} times in a row: {Error}")]
    private partial void LogSweepStillFailing(string room, int count, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Room}: LiveKit sweep works again after {Count} failures")]
    private partial void LogSweepRecovered(string room, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: reconciling with the LiveKit room failed")]
    private partial void LogReconcileFailed(Exception exception, string room);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: LiveKit command failed ({Error}); retrying with backoff")]
    private partial void LogMediaCommandRetry(string room, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Room}: LiveKit command {Command} given up after {Attempts} attempts ({Error})")]
    private partial void LogMediaCommandGivenUp(string room, string command, int attempts, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: could not store what came of sending LiveKit commands; they are sent again later")]
    private partial void LogMediaCommandsNotSettled(Exception exception, string room);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: {UserId}'s user grain places them elsewhere; removing them from the call")]
    private partial void LogGhostParticipant(string room, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: {UserId} believes they are in the call but holds no seat; telling them")]
    private partial void LogSeatlessMember(string room, string userId);
}
