using DmVoice.Grains.LiveKit;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Rooms;

/// <summary>
/// Keeping a room and its LiveKit room in step, as plain rules: LiveKit's news (media left, media
/// joined, room finished) applied with staleness checks, the sweep's list of who is in the LiveKit room
/// compared with the participants both ways, and what came of the RoomService commands the room owes.
/// Changes go through the room's rules (<see cref="RoomRules"/>) and its outbox like any other.
/// </summary>
public sealed partial class MediaRules(RoomRules room, Func<bool> roomExists, Func<string, bool> isMember, LiveKitSyncOptions options, ILogger logger, string label)
{
    private MediaTracker Tracker => room.Media;

    /// <summary>LiveKit says the user's media left. Ignored when stale (the old device after a seat move, an older session).</summary>
    public bool MediaLeft(string userId, DateTimeOffset? mediaJoinedAt, DateTimeOffset now)
    {
        if (room.State.Live?.FindParticipant(userId) is null)
        {
            return false;
        }

        if (Tracker.IsStaleLeft(userId, mediaJoinedAt))
        {
            LogStaleMediaLeft(label, userId);
            return false;
        }

        room.MediaGone(userId, now);
        return true;
    }

    /// <summary>LiveKit says the user's media joined: how they stand with the call; a stray is owed a removal at once.</summary>
    public MediaJoinCheck MediaJoined(string userId, DateTimeOffset? mediaJoinedAt)
    {
        var check = Check(userId, mediaJoinedAt);
        if (check == MediaJoinCheck.AlreadyInCall)
        {
            // After a seat move, this is the new device's media: a later "left" is a real one again.
            Tracker.MovedMediaArrived(userId);
        }

        if (MediaTracker.IsStray(check) && roomExists())
        {
            // Told by LiveKit itself that they are connected: no grace needed, they go now.
            LogStrayInRoom(label, userId, check);
            room.OweMedia(MediaCommandKind.RemoveParticipant, userId);
        }

        return check;
    }

    /// <summary>LiveKit closed the room: the live room ends, unless the news is about an earlier call's room.</summary>
    public bool RoomFinished(DateTimeOffset? roomCreatedAt, DateTimeOffset now)
    {
        if (room.State.Live is not { } live)
        {
            return false;
        }

        if (Tracker.IsStaleRoomFinished(live.CallId, roomCreatedAt))
        {
            LogStaleRoomFinished(label, live.CallId);
            return false;
        }

        room.Kind.End(room, live, CallEndReasons.RoomFinished, now);
        return true;
    }

    /// <summary>
    /// Compares the call with who the sweep saw in the LiveKit room: participants long absent leave
    /// (<c>disconnected</c>), strays seen for the whole grace are owed a removal. Answers the members who
    /// are in the LiveKit room but not in the call: they join the way a REST join would.
    /// </summary>
    public IReadOnlyList<string> Reconcile(string callId, IReadOnlyList<MediaParticipant> inRoom, DateTimeOffset now)
    {
        if (room.State.Live is not { } live || live.CallId != callId)
        {
            return [];
        }

        var grace = options.AbsenceGrace;
        var present = inRoom.Select(p => p.Identity).ToHashSet(StringComparer.Ordinal);
        foreach (var userId in Tracker.LongAbsent(live.Participants.Select(p => p.Voice.UserId).ToArray(), present, grace))
        {
            LogAbsentFromRoom(label, userId, grace);
            room.MediaGone(userId, now);
        }

        var strays = inRoom.Where(p => MediaTracker.IsStray(Check(p.Identity, p.JoinedAt))).Select(p => p.Identity).ToHashSet(StringComparer.Ordinal);
        foreach (var userId in Tracker.StraysPastGrace(strays, grace))
        {
            if (roomExists())
            {
                LogStrayEvicted(label, userId, grace);
                room.OweMedia(MediaCommandKind.RemoveParticipant, userId);
            }
        }

        if (room.State.Live?.CallId != callId)
        {
            return [];
        }

        return inRoom.Where(p => Check(p.Identity, p.JoinedAt) == MediaJoinCheck.Join).Select(p => p.Identity).ToArray();
    }

    /// <summary>Applies what came of sending owed commands: done ones go, failed ones wait their backoff, hopeless ones are given up.</summary>
    public void CommandsSent(IReadOnlyList<MediaCommandAttempt> attempts)
    {
        var now = Tracker.Now;
        foreach (var attempt in attempts)
        {
            if (MediaCommands.Settle(room.State.MediaCommands, attempt, now, options) is { } givenUp)
            {
                LogMediaCommandGivenUp(label, givenUp.ToString(), givenUp.Attempts, attempt.Error);
            }
            else if (attempt.Outcome == MediaCommandOutcome.Retry)
            {
                LogMediaCommandRetry(label, attempt.Error);
            }
        }

        room.Outbox.StateChanged = true;
        room.Outbox.MediaCommandsQueued = true;
    }

    private MediaJoinCheck Check(string userId, DateTimeOffset? mediaJoinedAt) =>
        Tracker.Check(
            isMember(userId),
            room.State.Live?.FindParticipant(userId) is not null,
            room.State.Live is not { } live || room.Kind.HasRoomForOneMore(live),
            userId,
            mediaJoinedAt);

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: LiveKit command failed ({Error}); retrying with backoff")]
    private partial void LogMediaCommandRetry(string room, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Room}: LiveKit command {Command} given up after {Attempts} attempts ({Error})")]
    private partial void LogMediaCommandGivenUp(string room, string command, int attempts, string? error);
}
