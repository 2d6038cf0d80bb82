using DmVoice.Grains.LiveKit;
using DmVoice.LiveKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Rooms;

/// <summary>
/// Keeping the room and its LiveKit room in step (only when LiveKit is configured), for both kinds of room:
/// webhook news applied with staleness checks, a periodic sweep that repairs what webhooks missed, and the
/// RoomService commands the room owes LiveKit.
/// Times here are real time, LiveKit's clock domain, not <see cref="Infrastructure.CallClock"/>; they live in
/// memory only, so a new activation simply has no history and skips the staleness checks.
/// </summary>
public abstract partial class VoiceRoomGrain
{
    /// <summary>LiveKit reports times in whole seconds, and its clock is not ours: compare with slack.</summary>
    private static readonly TimeSpan MediaClockTolerance = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, DateTimeOffset> _joinedCallAt = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _leftCallAt = new(StringComparer.Ordinal);

    // Users whose seat moved to another device whose media LiveKit has not reported yet: a "left" now is
    // the old device's (hanging up after the move, or put out by LiveKit as a duplicate identity).
    private readonly HashSet<string> _awaitingMovedMedia = new(StringComparer.Ordinal);

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

    /// <summary>The LiveKit room of this room (<c>dm_…</c>, <c>ch_…</c>).</summary>
    protected abstract string MediaRoomName { get; }

    /// <summary>
    /// How a member seen in the LiveKit room joins: through their user grain, as a REST join would (one-call
    /// rule included). Runs outside the grain's turn, so it must capture what it needs, not the grain.
    /// </summary>
    protected abstract Func<IUserVoiceGrain, JoinRequest, Task> MediaJoin { get; }

    public async Task<bool> MediaLeft(string userId, DateTimeOffset? mediaJoinedAt)
    {
        if (RoomState.Live is not { } live || live.FindParticipant(userId) is not { } participant)
        {
            return false;
        }

        // The seat moved and the new device's media has not shown up yet: this is the old device leaving.
        // Should it be the new device after all, the sweep removes the user once they stay away.
        if (_awaitingMovedMedia.Contains(userId))
        {
            LogStaleMediaLeft(RoomLabel, userId);
            return false;
        }

        // A seat that moved to another device counts as a join at the move: the old device's session is stale.
        if (mediaJoinedAt is { } mediaStart && _joinedCallAt.TryGetValue(userId, out var joined) && joined > mediaStart + MediaClockTolerance)
        {
            LogStaleMediaLeft(RoomLabel, userId);
            return false;
        }

        RemoveParticipant(live, participant, LeaveReasons.Disconnected);
        OnLeftForMedia(userId);
        AfterParticipantsChanged(live);
        await CommitAsync();
        return true;
    }

    public async Task<MediaJoinCheck> MediaJoined(string userId, DateTimeOffset? mediaJoinedAt)
    {
        var check = CheckMediaJoinCore(userId, mediaJoinedAt);
        if (check == MediaJoinCheck.AlreadyInCall)
        {
            // After a seat move, this is the new device's media: a later "left" is a real one again.
            _awaitingMovedMedia.Remove(userId);
        }

        if (IsStray(check) && RoomExists)
        {
            // Told by LiveKit itself that they are connected: no grace needed, they go now.
            LogStrayInRoom(RoomLabel, userId, check);
            QueueMediaCommand(MediaCommandKind.RemoveParticipant, userId);
            await CommitAsync();
        }

        return check;
    }

    public async Task<bool> RoomFinished(DateTimeOffset? roomCreatedAt)
    {
        if (RoomState.Live is not { } live)
        {
            return false;
        }

        if (roomCreatedAt is { } created && _mediaCallId == live.CallId && _mediaCallStartedAt > created + MediaClockTolerance)
        {
            LogStaleRoomFinished(RoomLabel, live.CallId);
            return false;
        }

        OnMediaRoomFinished(live);
        await CommitAsync();
        return true;
    }

    /// <summary>Whether the room exists (a DM the group grain told of, a channel not deleted): strays are removed only from those.</summary>
    protected abstract bool RoomExists { get; }

    /// <summary>LiveKit closed the room: the live room ends (<c>room_finished</c> for a DM's call).</summary>
    protected abstract void OnMediaRoomFinished(ILiveRoomState live);

    public async Task ReconcileMedia(string callId, IReadOnlyList<MediaParticipant> inRoom)
    {
        if (RoomState.Live is not { } live || live.CallId != callId)
        {
            return;
        }

        var now = RealNow;
        var grace = SyncOptions.AbsenceGrace;
        var present = inRoom.Select(p => p.Identity).ToHashSet(StringComparer.Ordinal);
        var removed = false;
        foreach (var participant in live.Participants.ToArray())
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

            LogAbsentFromRoom(RoomLabel, userId, grace);
            RemoveParticipant(live, participant, LeaveReasons.Disconnected);
            OnLeftForMedia(userId);
            removed = true;
        }

        if (removed)
        {
            AfterParticipantsChanged(live);
        }

        var evicted = EvictStrays(inRoom, now, grace);
        if (removed || evicted)
        {
            await CommitAsync();
        }

        if (RoomState.Live?.CallId != callId)
        {
            return;
        }

        // Members in the room but not in the call join the way a REST join would (one-call rule included).
        // That goes through their user grain, which calls back into this grain: never awaited in this turn.
        var grains = GrainFactory;
        var join = MediaJoin;
        var label = RoomLabel;
        foreach (var member in inRoom)
        {
            if (CheckMediaJoinCore(member.Identity, member.JoinedAt) != MediaJoinCheck.Join)
            {
                continue;
            }

            var userId = member.Identity;
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

    /// <summary>Hook: a user joined the call (after the commit).</summary>
    private void OnJoinedForMedia(string userId)
    {
        if (!LiveKitConfigured || RoomState.Live is not { } live)
        {
            return;
        }

        var now = RealNow;
        if (_mediaCallId != live.CallId)
        {
            _mediaCallId = live.CallId;
            _mediaCallStartedAt = now;
        }

        _joinedCallAt[userId] = now;
        _leftCallAt.Remove(userId);
        EnsureMediaSweep();
    }

    /// <summary>Hook: the user's seat moved to another device (after the commit).</summary>
    private void OnSeatMovedForMedia(string userId)
    {
        OnJoinedForMedia(userId);
        if (LiveKitConfigured)
        {
            _awaitingMovedMedia.Add(userId);
        }
    }

    /// <summary>Hook: a user left the call.</summary>
    private void OnLeftForMedia(string userId)
    {
        _awaitingMovedMedia.Remove(userId);
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
        if (_mediaSweep is not null || RoomState.Live is null || !LiveKitConfigured)
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
        _awaitingMovedMedia.Clear();
        _straySince.Clear();
        foreach (var userId in _leftCallAt.Keys.Where(id => !IsMember(id)).ToArray())
        {
            _leftCallAt.Remove(userId);
        }
    }

    private async Task SweepMediaAsync(CancellationToken ct)
    {
        if (RoomState.Live is not { } live)
        {
            StopMediaSweep();
            return;
        }

        var callId = live.CallId;
        MediaParticipant[] inRoom;
        try
        {
            var rooms = ServiceProvider.GetRequiredService<ILiveKitRoomService>();
            var participants = await rooms.ListParticipantsAsync(MediaRoomName, ct);
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
                LogSweepFailed(RoomLabel, ex.Message);
            }
            else
            {
                LogSweepStillFailing(RoomLabel, _sweepFailures, ex.Message);
            }

            return;
        }

        if (_sweepFailures > 0)
        {
            LogSweepRecovered(RoomLabel, _sweepFailures);
            _sweepFailures = 0;
        }

        try
        {
            await this.AsReference<IVoiceRoomMediaGrain>().ReconcileMedia(callId, inRoom);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogReconcileFailed(ex, RoomLabel);
        }
    }

    private MediaJoinCheck CheckMediaJoinCore(string userId, DateTimeOffset? mediaJoinedAt)
    {
        if (!IsMember(userId))
        {
            return MediaJoinCheck.NotMember;
        }

        if (RoomState.Live?.FindParticipant(userId) is not null)
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
            else if (now - since >= grace && RoomExists)
            {
                LogStrayEvicted(RoomLabel, userId, grace);
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
            if (MediaCommands.Settle(RoomState.MediaCommands, attempt, now, SyncOptions) is { } givenUp)
            {
                LogMediaCommandGivenUp(RoomLabel, givenUp.ToString(), givenUp.Attempts, attempt.Error);
            }
            else if (attempt.Outcome == MediaCommandOutcome.Retry)
            {
                LogMediaCommandRetry(RoomLabel, attempt.Error);
            }
        }

        await CommitAsync();
        ScheduleMediaCommands();
    }

    /// <summary>Owes LiveKit a RoomService call, stored with the change that needs it.</summary>
    protected void QueueMediaCommand(MediaCommandKind kind, string? userId)
    {
        if (LiveKitConfigured)
        {
            MediaCommands.Queue(RoomState.MediaCommands, kind, userId, RealNow);
            _mediaCommandsQueued = true;
        }
    }

    private void CancelStaleMediaCommands(string userId)
    {
        if (RoomState.MediaCommands.Count > 0)
        {
            MediaCommands.CancelStale(RoomState.MediaCommands, userId);
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
        if (!LiveKitConfigured || MediaCommands.NextAttempt(RoomState.MediaCommands) is not { } next)
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
        var due = RoomState.MediaCommands.Where(c => c.NextAttemptAt <= now).ToArray();
        if (due.Length == 0)
        {
            ScheduleMediaCommands();
            return;
        }

        var rooms = ServiceProvider.GetRequiredService<ILiveKitRoomService>();
        var room = MediaRoomName;
        var attempts = await Task.WhenAll(due.Select(command => MediaCommands.SendAsync(rooms, room, command, ct)));
        try
        {
            await this.AsReference<IVoiceRoomMediaGrain>().MediaCommandsSent(attempts);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Not stored: the commands are still owed and go out again after the next activation.
            LogMediaCommandsNotSettled(ex, RoomLabel);
        }
    }
}
