using DmVoice.Grains.LiveKit;
using DmVoice.LiveKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Calls;

/// <summary>
/// Keeping the call and its LiveKit room in step (only when LiveKit is configured): webhook news applied with
/// staleness checks, and a periodic sweep that repairs what webhooks missed.
/// Times here are real time, LiveKit's clock domain, not <see cref="Infrastructure.CallClock"/>; they live in
/// memory only, so a new activation simply has no history and skips the staleness checks.
/// </summary>
public sealed partial class DmCallGrain : IDmCallMediaGrain
{
    /// <summary>LiveKit reports times in whole seconds, and its clock is not ours: compare with slack.</summary>
    private static readonly TimeSpan MediaClockTolerance = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, DateTimeOffset> _joinedCallAt = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _leftCallAt = new(StringComparer.Ordinal);

    /// <summary>Room participants who should not be there (see <see cref="IsStray"/>) → when a sweep first saw them.</summary>
    private readonly Dictionary<string, DateTimeOffset> _straySince = new(StringComparer.Ordinal);
    private string? _mediaCallId;
    private DateTimeOffset? _mediaCallStartedAt;
    private IGrainTimer? _mediaSweep;
    private IGrainTimer? _mediaCommandTimer;
    private bool _mediaCommandsQueued;
    private int _sweepFailures;
    private bool? _liveKitConfigured;

    private bool LiveKitConfigured => _liveKitConfigured ??= ServiceProvider.GetService<LiveKitConfigured>() is not null;

    private LiveKitSyncOptions SyncOptions => ServiceProvider.GetRequiredService<IOptions<LiveKitSyncOptions>>().Value;

    private static DateTimeOffset RealNow => TimeProvider.System.GetUtcNow();

    public async Task<bool> MediaLeft(string userId, DateTimeOffset? mediaJoinedAt)
    {
        if (State.Call is not { } call || call.FindParticipant(userId) is not { } participant)
        {
            return false;
        }

        if (mediaJoinedAt is { } mediaStart && _joinedCallAt.TryGetValue(userId, out var joined) && joined > mediaStart + MediaClockTolerance)
        {
            LogStaleMediaLeft(DmGroupId, userId);
            return false;
        }

        RemoveParticipant(call, participant, LeaveReasons.Disconnected);
        OnLeftForMedia(userId);
        AfterParticipantsChanged(call);
        await CommitAsync();
        return true;
    }

    public async Task<MediaJoinCheck> MediaJoined(string userId, DateTimeOffset? mediaJoinedAt)
    {
        var check = CheckMediaJoinCore(userId, mediaJoinedAt);
        if (IsStray(check) && State.Known)
        {
            // Told by LiveKit itself that they are connected: no grace needed, they go now.
            LogStrayInRoom(DmGroupId, userId, check);
            QueueMediaCommand(MediaCommandKind.RemoveParticipant, userId);
            await CommitAsync();
        }

        return check;
    }

    public async Task<bool> RoomFinished(DateTimeOffset? roomCreatedAt)
    {
        if (State.Call is not { } call)
        {
            return false;
        }

        if (roomCreatedAt is { } created && _mediaCallId == call.CallId && _mediaCallStartedAt > created + MediaClockTolerance)
        {
            LogStaleRoomFinished(DmGroupId, call.CallId);
            return false;
        }

        FinishCall(call, CallEndReasons.RoomFinished);
        await CommitAsync();
        return true;
    }

    public async Task ReconcileMedia(string callId, IReadOnlyList<MediaParticipant> inRoom)
    {
        if (State.Call is not { } call || call.CallId != callId)
        {
            return;
        }

        var now = RealNow;
        var grace = SyncOptions.AbsenceGrace;
        var present = inRoom.Select(p => p.Identity).ToHashSet(StringComparer.Ordinal);
        var removed = false;
        foreach (var participant in call.Participants.ToArray())
        {
            var userId = participant.Voice.UserId;
            if (present.Contains(userId))
            {
                continue;
            }

            if (!_joinedCallAt.TryGetValue(userId, out var since))
            {
                // In the call since before this activation: the grace starts now.
                _joinedCallAt[userId] = now;
                continue;
            }

            if (now - since < grace)
            {
                continue;
            }

            LogAbsentFromRoom(DmGroupId, userId, grace);
            RemoveParticipant(call, participant, LeaveReasons.Disconnected);
            OnLeftForMedia(userId);
            removed = true;
        }

        if (removed)
        {
            AfterParticipantsChanged(call);
        }

        var evicted = EvictStrays(inRoom, now, grace);
        if (removed || evicted)
        {
            await CommitAsync();
        }

        if (State.Call?.CallId != callId)
        {
            return;
        }

        // Members in the room but not in the call join the way a REST join would (one-call rule included).
        // That goes through their user grain, which calls back into this grain: never awaited in this turn.
        var grains = GrainFactory;
        var dmGroupId = DmGroupId;
        foreach (var member in inRoom)
        {
            if (CheckMediaJoinCore(member.Identity, member.JoinedAt) != MediaJoinCheck.Join)
            {
                continue;
            }

            var userId = member.Identity;
            LogJoiningFromRoom(DmGroupId, userId);
            _ = Task.Run(async () =>
            {
                try
                {
                    // The user's own name, never the one in the LiveKit participant (the client chose that).
                    var profile = await grains.GetGrain<IUserSettingsGrain>(userId).GetProfile();
                    await grains.GetGrain<IUserVoiceGrain>(userId).JoinDmCall(dmGroupId, new JoinRequest(profile.DisplayName ?? userId));
                }
                catch (Exception ex)
                {
                    LogJoinFromRoomFailed(ex, dmGroupId, userId);
                }
            });
        }
    }

    /// <summary>Hook: a user joined the call (after the commit).</summary>
    private void OnJoinedForMedia(string userId)
    {
        if (!LiveKitConfigured || State.Call is not { } call)
        {
            return;
        }

        var now = RealNow;
        if (_mediaCallId != call.CallId)
        {
            _mediaCallId = call.CallId;
            _mediaCallStartedAt = now;
        }

        _joinedCallAt[userId] = now;
        _leftCallAt.Remove(userId);
        EnsureMediaSweep();
    }

    /// <summary>Hook: a user left the call.</summary>
    private void OnLeftForMedia(string userId)
    {
        if (!LiveKitConfigured)
        {
            return;
        }

        _joinedCallAt.Remove(userId);
        _leftCallAt[userId] = RealNow;
    }

    /// <summary>Hook: starts the sweep when a call is live (at activation and on join); it stops itself when the call ends.</summary>
    private void EnsureMediaSweep()
    {
        if (_mediaSweep is not null || State.Call is null || !LiveKitConfigured)
        {
            return;
        }

        var interval = SyncOptions.SweepInterval;
        _mediaSweep = this.RegisterGrainTimer(
            SweepMediaAsync,
            new GrainTimerCreationOptions
            {
                DueTime = interval,
                Period = interval,

                // The HTTP call must not hold up the call's own requests; the reconciliation then runs as a
                // normal (non-interleaved) turn through the grain's reference.
                Interleave = true,
                KeepAlive = true,
            });
    }

    private void StopMediaSweep()
    {
        _mediaSweep?.Dispose();
        _mediaSweep = null;
        _joinedCallAt.Clear();
        _straySince.Clear();
        foreach (var userId in _leftCallAt.Keys.Where(id => !State.Members.Contains(id)).ToArray())
        {
            _leftCallAt.Remove(userId);
        }
    }

    private async Task SweepMediaAsync(CancellationToken ct)
    {
        if (State.Call is not { } call)
        {
            StopMediaSweep();
            return;
        }

        var callId = call.CallId;
        MediaParticipant[] inRoom;
        try
        {
            var rooms = ServiceProvider.GetRequiredService<ILiveKitRoomService>();
            var participants = await rooms.ListParticipantsAsync(LiveKitRooms.ForDm(DmGroupId), ct);
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
                LogSweepFailed(DmGroupId, ex.Message);
            }
            else
            {
                LogSweepStillFailing(DmGroupId, _sweepFailures, ex.Message);
            }

            return;
        }

        if (_sweepFailures > 0)
        {
            LogSweepRecovered(DmGroupId, _sweepFailures);
            _sweepFailures = 0;
        }

        try
        {
            await this.AsReference<IDmCallMediaGrain>().ReconcileMedia(callId, inRoom);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogReconcileFailed(ex, DmGroupId);
        }
    }

    private MediaJoinCheck CheckMediaJoinCore(string userId, DateTimeOffset? mediaJoinedAt)
    {
        if (!State.Known || !State.Members.Contains(userId))
        {
            return MediaJoinCheck.NotMember;
        }

        if (State.Call?.FindParticipant(userId) is not null)
        {
            return MediaJoinCheck.AlreadyInCall;
        }

        // A media session that began before the user left the call is a leftover (the client has not hung up
        // yet, or our RemoveParticipant is still on its way): joining them would undo their leave or move.
        if (_leftCallAt.TryGetValue(userId, out var leftAt) && (mediaJoinedAt ?? DateTimeOffset.MinValue) < leftAt)
        {
            return MediaJoinCheck.LeftSince;
        }

        return MediaJoinCheck.Join;
    }

    /// <summary>In the room without the right to be: not a member, or left the call after this media session began.</summary>
    private static bool IsStray(MediaJoinCheck check) => check is MediaJoinCheck.NotMember or MediaJoinCheck.LeftSince;

    /// <summary>
    /// The room holds only participants. A stray the sweep still sees after the grace (their client was told,
    /// or a webhook's removal is on its way) is owed a RemoveParticipant. Returns whether any was queued.
    /// </summary>
    private bool EvictStrays(IReadOnlyList<MediaParticipant> inRoom, DateTimeOffset now, TimeSpan grace)
    {
        var strays = inRoom.Where(p => IsStray(CheckMediaJoinCore(p.Identity, p.JoinedAt))).Select(p => p.Identity).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _straySince.Keys.Where(id => !strays.Contains(id)).ToArray())
        {
            _straySince.Remove(gone);
        }

        var evicted = false;
        foreach (var userId in strays)
        {
            if (!_straySince.TryGetValue(userId, out var since))
            {
                _straySince[userId] = now;
            }
            else if (now - since >= grace && State.Known)
            {
                LogStrayEvicted(DmGroupId, userId, grace);
                QueueMediaCommand(MediaCommandKind.RemoveParticipant, userId);
                _straySince.Remove(userId);
                evicted = true;
            }
        }

        return evicted;
    }

    public async Task MediaCommandsSent(IReadOnlyList<MediaCommandAttempt> attempts)
    {
        var now = RealNow;
        foreach (var attempt in attempts)
        {
            if (MediaCommands.Settle(State.MediaCommands, attempt, now, SyncOptions) is { } givenUp)
            {
                LogMediaCommandGivenUp(DmGroupId, givenUp.ToString(), givenUp.Attempts, attempt.Error);
            }
            else if (attempt.Outcome == MediaCommandOutcome.Retry)
            {
                LogMediaCommandRetry(DmGroupId, attempt.Error);
            }
        }

        await CommitAsync();
        ScheduleMediaCommands();
    }

    /// <summary>Owes LiveKit a RoomService call, stored with the change that needs it.</summary>
    private void QueueMediaCommand(MediaCommandKind kind, string? userId)
    {
        if (LiveKitConfigured)
        {
            MediaCommands.Queue(State.MediaCommands, kind, userId, RealNow);
            _mediaCommandsQueued = true;
        }
    }

    private void CancelStaleMediaCommands(string userId)
    {
        if (State.MediaCommands.Count > 0)
        {
            MediaCommands.CancelStale(State.MediaCommands, userId);
        }
    }

    /// <summary>
    /// Arms the sender for the earliest owed command. It interleaves, so LiveKit's answer never holds
    /// up the call; what came of it is applied as an ordinary turn (<see cref="MediaCommandsSent"/>).
    /// </summary>
    private void ScheduleMediaCommands()
    {
        _mediaCommandsQueued = false;
        _mediaCommandTimer?.Dispose();
        _mediaCommandTimer = null;
        if (!LiveKitConfigured || MediaCommands.NextAttempt(State.MediaCommands) is not { } next)
        {
            return;
        }

        var due = next - RealNow;
        _mediaCommandTimer = this.RegisterGrainTimer(
            SendMediaCommandsAsync,
            new GrainTimerCreationOptions
            {
                DueTime = due > TimeSpan.Zero ? due : TimeSpan.Zero,
                Period = Timeout.InfiniteTimeSpan,
                Interleave = true,
                KeepAlive = true,
            });
    }

    private async Task SendMediaCommandsAsync(CancellationToken ct)
    {
        // Timers may fire a little early; what is due within that slack goes now.
        var now = RealNow + TimeSpan.FromMilliseconds(20);
        var due = State.MediaCommands.Where(c => c.NextAttemptAt <= now).ToArray();
        if (due.Length == 0)
        {
            ScheduleMediaCommands();
            return;
        }

        var rooms = ServiceProvider.GetRequiredService<ILiveKitRoomService>();
        var room = LiveKitRooms.ForDm(DmGroupId);
        var attempts = await Task.WhenAll(due.Select(command => MediaCommands.SendAsync(rooms, room, command, ct)));
        try
        {
            await this.AsReference<IDmCallMediaGrain>().MediaCommandsSent(attempts);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Not stored: the commands are still owed and go out again after the next activation.
            LogMediaCommandsNotSettled(ex, DmGroupId);
        }
    }
}
