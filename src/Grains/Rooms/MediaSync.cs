using DmVoice.Grains.LiveKit;
using DmVoice.LiveKit;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Rooms;

/// <summary>
/// The Orleans and HTTP side of keeping a room and its LiveKit room in step (only when LiveKit is
/// configured): a sweep timer that lists the LiveKit room's participants, and a sender for the
/// RoomService commands the room owes. Both timers interleave, so LiveKit never holds up the room; what
/// they learn is applied as an ordinary turn through the grain's own reference
/// (<see cref="IVoiceRoomMediaGrain.ReconcileMedia"/>, <see cref="IVoiceRoomMediaGrain.MediaCommandsSent"/>),
/// where <see cref="MediaRules"/> decides.
/// </summary>
internal sealed partial class MediaSync(
    Grain grain,
    IGrainFactory grains,
    RoomRules room,
    string mediaRoomName,
    ILiveKitRoomService? rooms,
    LiveKitSyncOptions options,
    Func<IUserVoiceGrain, JoinRequest, Task> join,
    Func<string, bool> isMember,
    string label,
    ILogger logger)
{
    private IGrainTimer? _sweep;
    private IGrainTimer? _commandTimer;
    private int _sweepFailures;

    private bool Enabled => rooms is not null && room.Media.Enabled;

    /// <summary>At activation: the sweep while live, and the sender for commands still owed from before.</summary>
    public void Start()
    {
        EnsureSweep();
        ScheduleCommands();
    }

    /// <summary>Starts the sweep when a call is live (at activation and on join); it stops itself when the call ends.</summary>
    public void EnsureSweep()
    {
        if (_sweep is not null || room.State.Live is null || !Enabled)
        {
            return;
        }

        _sweep = grain.RegisterGrainTimer(
            SweepAsync,
            new GrainTimerCreationOptions
            {
                DueTime = options.SweepInterval,
                Period = options.SweepInterval,

                // The HTTP call must not hold up the call's own requests; the reconciliation then runs as a
                // normal (non-interleaved) turn through the grain's reference.
                Interleave = true,
                KeepAlive = true,
            });
    }

    /// <summary>Members in the LiveKit room but not in the call join through their user grain, as a REST join would; never awaited in the room's turn.</summary>
    public void JoinFromRoom(IReadOnlyList<string> userIds)
    {
        foreach (var userId in userIds)
        {
            LogJoiningFromRoom(label, userId);
            _ = Task.Run(async () =>
            {
                try
                {
                    // The user's own name, never the one in the LiveKit participant (the client chose that).
                    var profile = await grains.GetGrain<IUserSettingsGrain>(userId).GetProfile();
                    await join(grains.GetGrain<IUserVoiceGrain>(userId), new JoinRequest(profile.DisplayName ?? userId));
                }
                catch (Exception ex)
                {
                    LogJoinFromRoomFailed(ex, label, userId);
                }
            });
        }
    }

    /// <summary>Arms the sender for the earliest owed command.</summary>
    public void ScheduleCommands()
    {
        _commandTimer?.Dispose();
        _commandTimer = null;
        if (!Enabled || MediaCommands.NextAttempt(room.State.MediaCommands) is not { } next)
        {
            return;
        }

        var due = next - room.Media.Now;
        _commandTimer = grain.RegisterGrainTimer(
            SendCommandsAsync,
            new GrainTimerCreationOptions
            {
                DueTime = due > TimeSpan.Zero ? due : TimeSpan.Zero,
                Period = Timeout.InfiniteTimeSpan,
                Interleave = true,
                KeepAlive = true,
            });
    }

    private async Task SweepAsync(CancellationToken ct)
    {
        if (room.State.Live is not { } live)
        {
            _sweep?.Dispose();
            _sweep = null;
            room.Media.ForgetLeftExcept(isMember);
            return;
        }

        var callId = live.CallId;
        MediaParticipant[] inRoom;
        try
        {
            var participants = await rooms!.ListParticipantsAsync(mediaRoomName, ct);
            inRoom = participants
                .Where(p => p.Kind == ParticipantKind.Standard && p.State != ParticipantInfoState.Disconnected && Validate.IsValidId(p.Identity))
                .Select(p => new MediaParticipant(p.Identity, p.Name, p.JoinedAt))
                .ToArray();
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // LiveKit unreachable: nothing to compare with, and certainly no reason to remove anyone.
            // Warn once per outage, not on every tick of every live call.
            if (_sweepFailures++ == 0)
            {
                LogSweepFailed(label, ex.Message);
            }
            else
            {
                LogSweepStillFailing(label, _sweepFailures, ex.Message);
            }

            return;
        }

        if (_sweepFailures > 0)
        {
            LogSweepRecovered(label, _sweepFailures);
            _sweepFailures = 0;
        }

        try
        {
            await grain.AsReference<IVoiceRoomMediaGrain>().ReconcileMedia(callId, inRoom);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogReconcileFailed(ex, label);
        }
    }

    private async Task SendCommandsAsync(CancellationToken ct)
    {
        // Timers may fire a little early; what is due within that slack goes now.
        var now = room.Media.Now + TimeSpan.FromMilliseconds(20);
        var due = room.State.MediaCommands.Where(c => c.NextAttemptAt <= now).ToArray();
        if (due.Length == 0)
        {
            ScheduleCommands();
            return;
        }

        var attempts = await Task.WhenAll(due.Select(command => MediaCommands.SendAsync(rooms!, mediaRoomName, command, ct)));
        try
        {
            await grain.AsReference<IVoiceRoomMediaGrain>().MediaCommandsSent(attempts);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Not stored: the commands are still owed and go out again after the next activation.
            LogCommandsNotSettled(ex, label);
        }
    }

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: could not store what came of sending LiveKit commands; they are sent again later")]
    private partial void LogCommandsNotSettled(Exception exception, string room);
}
