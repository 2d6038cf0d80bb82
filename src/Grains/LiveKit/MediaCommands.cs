using DmVoice.LiveKit;

namespace DmVoice.Grains.LiveKit;

[GenerateSerializer]
[Alias("DmVoice.MediaCommandKind")]
public enum MediaCommandKind
{
    RemoveParticipant,
    DeleteRoom,
}

/// <summary>
/// A RoomService call a grain still owes LiveKit. It lives in the grain's state, written with the
/// change that asked for it, so a silo crash does not lose it: the next activation sends it.
/// </summary>
[GenerateSerializer]
[Alias("DmVoice.MediaCommand")]
public sealed class MediaCommand
{
    [Id(0)] public Guid Id { get; set; } = Guid.NewGuid();
    [Id(1)] public MediaCommandKind Kind { get; set; }

    /// <summary>Set for <see cref="MediaCommandKind.RemoveParticipant"/>.</summary>
    [Id(2)] public string? UserId { get; set; }

    /// <summary>Real time (LiveKit's clock domain).</summary>
    [Id(3)] public DateTimeOffset QueuedAt { get; set; }

    [Id(4)] public int Attempts { get; set; }

    [Id(5)] public DateTimeOffset NextAttemptAt { get; set; }

    public override string ToString() => Kind == MediaCommandKind.RemoveParticipant ? $"RemoveParticipant({UserId})" : "DeleteRoom";
}

/// <summary>
/// The rules for a grain's owed RoomService calls: one pending command per kind and user (a newer one
/// replaces it), a rejoin cancels what it makes stale, and failures are retried with exponential backoff
/// (<see cref="LiveKitSyncOptions.CommandRetryDelay"/> doubling up to <see cref="LiveKitSyncOptions.CommandRetryMaxDelay"/>)
/// until <see cref="LiveKitSyncOptions.CommandMaxAttempts"/> or <see cref="LiveKitSyncOptions.CommandMaxAge"/>.
/// </summary>
public static class MediaCommands
{
    public static void Queue(List<MediaCommand> commands, MediaCommandKind kind, string? userId, DateTimeOffset now)
    {
        commands.RemoveAll(c => c.Kind == kind && c.UserId == userId);
        commands.Add(new MediaCommand { Kind = kind, UserId = userId, QueuedAt = now, NextAttemptAt = now });
    }

    /// <summary>The user (re)joined: removing them, or deleting the room, would now undo the join.</summary>
    public static bool CancelStale(List<MediaCommand> commands, string userId) =>
        commands.RemoveAll(c => c.Kind == MediaCommandKind.DeleteRoom || (c.Kind == MediaCommandKind.RemoveParticipant && c.UserId == userId)) > 0;

    public static DateTimeOffset? NextAttempt(List<MediaCommand> commands) =>
        commands.Count == 0 ? null : commands.Min(c => c.NextAttemptAt);

    /// <summary>Applies what came of an attempt. Returns the command when it was given up (for logging).</summary>
    public static MediaCommand? Settle(List<MediaCommand> commands, MediaCommandAttempt attempt, DateTimeOffset now, LiveKitSyncOptions options)
    {
        var command = commands.Find(c => c.Id == attempt.Id);
        if (command is null)
        {
            return null; // Cancelled or replaced while it was being sent.
        }

        command.Attempts++;
        if (attempt.Outcome == MediaCommandOutcome.Done)
        {
            commands.Remove(command);
            MediaCommandMetrics.Attempted(command, "done", now);
            return null;
        }

        var delay = new Backoff(options.CommandRetryDelay, options.CommandRetryMaxDelay).After(command.Attempts);
        if (attempt.Outcome == MediaCommandOutcome.Refused
            || command.Attempts >= options.CommandMaxAttempts
            || now + delay - command.QueuedAt > options.CommandMaxAge)
        {
            commands.Remove(command);
            MediaCommandMetrics.Attempted(command, attempt.Outcome == MediaCommandOutcome.Refused ? "refused" : "gave_up", now);
            return command;
        }

        command.NextAttemptAt = now + delay;
        MediaCommandMetrics.Attempted(command, "retry", now);
        return null;
    }

    /// <summary>Sends one command; the outcome says whether to try again.</summary>
    public static async Task<MediaCommandAttempt> SendAsync(ILiveKitRoomService rooms, string room, MediaCommand command, CancellationToken ct)
    {
        try
        {
            switch (command.Kind)
            {
                case MediaCommandKind.RemoveParticipant:
                    await rooms.RemoveParticipantAsync(room, command.UserId!, ct);
                    break;
                case MediaCommandKind.DeleteRoom:
                    await rooms.DeleteRoomAsync(room, ct);
                    break;
            }

            return new MediaCommandAttempt(command.Id, MediaCommandOutcome.Done, null);
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            return new MediaCommandAttempt(command.Id, MediaCommandOutcome.Retry, ex.Message);
        }
        catch (Exception ex)
        {
            return new MediaCommandAttempt(command.Id, MediaCommandOutcome.Refused, ex.Message);
        }
    }

    /// <summary>Worth retrying: LiveKit down or overloaded, not "your request is wrong".</summary>
    internal static bool IsTransient(Exception ex) => ex switch
    {
        LiveKitUnavailableException => true,
        TwirpException twirp => (int)twirp.StatusCode >= 500 || twirp.Code is TwirpErrorCodes.Unavailable or TwirpErrorCodes.Internal,
        HttpRequestException => true,
        TimeoutException => true,
        OperationCanceledException => true,
        _ => false,
    };
}
