using DmVoice.Grains.Events;
using DmVoice.Grains.Hosting;
using DmVoice.Grains.LiveKit;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Rooms;

/// <summary>
/// The rules every voice room shares, a DM's call (<see cref="Calls.DmCallGrain"/>) and a voice channel
/// (<see cref="Channels.VoiceChannelGrain"/>): participants and their voice state, join / leave / update
/// with the <c>version</c> rule, one device holding a user's seat, the empty-room grace, commit then
/// publish (<c>.Commit.cs</c>), members' routes and checks (<c>.Members.cs</c>), LiveKit kept in step
/// (<c>.Media.cs</c>) and logging (<c>.Log.cs</c>). A kind of room adds what is its own through the
/// hooks below (its events, how it starts and ends, ringing and history for DMs, the user limit for
/// channels). Fixing a rule here fixes it for both.
/// </summary>
public abstract partial class VoiceRoomGrain : Grain, IVoiceRoomGrain, IVoiceRoomMediaGrain, IRemindable
{
    private readonly DeadlineTimer _deadlineTimer;
    private readonly ILogger _logger;
    private IEventPublisher _publisher = null!;

    private readonly LocalGateways _localGateways;

    protected VoiceRoomGrain(CallClock clock, CallOptions options, DmVoiceClusterOptions cluster, CallMetrics metrics, LocalGateways localGateways, ILogger logger)
    {
        Clock = clock;
        _localGateways = localGateways;
        Options = options;
        Cluster = cluster;
        Metrics = metrics;
        _logger = logger;
        var self = this.AsReference<IVoiceRoomGrain>();
        _deadlineTimer = new DeadlineTimer(clock.TimeProvider, () => self.ProcessDeadlines());
    }

    protected CallClock Clock { get; }

    protected CallOptions Options { get; }

    protected DmVoiceClusterOptions Cluster { get; }

    protected CallMetrics Metrics { get; }

    /// <summary>The shared part of the kind's stored state.</summary>
    protected abstract IVoiceRoomState RoomState { get; }

    /// <summary>This room, as members' user grains know it.</summary>
    protected abstract CallContext Here { get; }

    /// <summary>How logs name the room.</summary>
    private string RoomLabel => $"{Here.Kind} {Here.Id}";

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _publisher = EventPublishers.For(this, Cluster, _localGateways, Clock.TimeProvider);

        // Deadlines and owed LiveKit commands are persisted: an activation after a restart picks them
        // up where they were.
        _deadlineTimer.Schedule(NextDeadline());
        EnsureMediaSweep();
        ScheduleMediaCommands();
        if (RoomState.Live is { } live)
        {
            // A live room whose activation is new knows nobody's routes yet: ask before any event.
            await ReattachMembersAsync(live);
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _deadlineTimer.Dispose();
        return Task.CompletedTask;
    }

    public async Task<RoomJoin> Join(string userId, JoinRequest request, long session, GatewayRoute[] routes)
    {
        EnsureMember(userId);
        ArgumentNullException.ThrowIfNull(request);
        var displayName = Validate.OptionalName(request.DisplayName, "displayName") ?? userId;
        var deviceId = request.DeviceId is null ? null : Validate.Id(request.DeviceId, "deviceId");
        var deviceKind = DeviceKinds.Validate(request.DeviceKind, "deviceKind");
        _publisher.SetRoutes(userId, routes ?? []);

        // Removing this user's media, or deleting the room, would now undo the join.
        CancelStaleMediaCommands(userId);

        if (RoomState.Live is { } live && live.FindParticipant(userId) is { } existing)
        {
            // The newest session wins either way.
            existing.Session = session;
            if (deviceId is null || deviceId == existing.Device)
            {
                // Joining again from the same device (a retry, a reload) is not a change.
                await CommitAsync();
                return new RoomJoin(live.CallId, false, existing.Voice, RoomState.Version);
            }

            var moved = MoveSeat(live, existing, deviceId, deviceKind, request);
            await CommitAsync();

            // The media session of the device that held the seat is now a leftover: its "left" is stale.
            OnSeatMovedForMedia(userId);
            return new RoomJoin(live.CallId, false, moved, RoomState.Version, SeatMoved: true);
        }

        var started = RoomState.Live is null;
        if (!started)
        {
            EnsureRoomForOneMore(RoomState.Live!);
        }

        var registered = started ? await StartLiveAsync(userId) : [];
        var room = RoomState.Live!;
        var now = Clock.UtcNow;
        var participant = new VoiceParticipant(userId, displayName, request.IsMuted, false, request.IsVideoEnabled, false, now, deviceKind);
        room.Participants.Add(new ParticipantState { Voice = participant, Session = session, Device = deviceId });
        room.EmptySince = null;
        Metrics.Joined();
        var notRung = OnParticipantJoined(participant, started, now);

        try
        {
            await CommitAsync();
        }
        catch when (started)
        {
            // The room never went live: the members it registered with must not keep it in their index.
            foreach (var memberId in registered)
            {
                DetachNow(memberId, room.CallId);
            }

            throw;
        }

        OnJoinedForMedia(userId);
        EnsureMemberCheck();
        if (started)
        {
            OnLiveCommitted(room);
        }

        return new RoomJoin(room.CallId, started, participant, RoomState.Version, NotRung: notRung);
    }

    public async Task<bool> Leave(string userId, string reason)
    {
        if (RoomState.Live is not { } live || live.FindParticipant(userId) is not { } participant)
        {
            return false;
        }

        RemoveParticipant(live, participant, reason);
        AfterParticipantsChanged(live);
        await CommitAsync();
        OnLeftForMedia(userId);
        return true;
    }

    public async Task<VoiceParticipant> UpdateState(string userId, VoiceStatePatch patch, string? deviceId = null)
    {
        EnsureMember(userId);
        ArgumentNullException.ThrowIfNull(patch);
        var live = RoomState.Live;
        var participant = live?.FindParticipant(userId) ?? throw NotInCall();
        if (deviceId is not null && participant.Device is { } seat && seat != Validate.Id(deviceId, "deviceId"))
        {
            // The seat moved to another device; this one no longer speaks for the user here.
            throw NotOnThisDevice();
        }

        var updated = participant.Voice.With(patch);
        if (updated == participant.Voice)
        {
            return updated;
        }

        participant.Voice = updated;
        Emit(v => UpdatedEvent(live!.CallId, v, updated));
        await CommitAsync();
        return updated;
    }

    public async Task ProcessDeadlines()
    {
        if (RoomState.Live is { } live)
        {
            var now = Clock.UtcNow;
            OnDeadlines(live, now);
            if (RoomState.Live is not null && live.Participants.Count == 0 && live.EmptySince + Options.EmptyCallGrace <= now)
            {
                OnEmptyGraceOver(live);
            }
        }

        await CommitAsync();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != DeadlineReminder)
        {
            return;
        }

        await OnWakeUpAsync();
        await ProcessDeadlines();
        EnsureMemberCheck();
        if (!NeedsWakeUps)
        {
            // A reminder left behind by a turn whose write failed: the stored state never knew of it.
            await UpdateReminderAsync(needed: false, force: true);
        }
    }

    /// <summary>
    /// Whether the room must be woken after a restart (durable mode): while live, while LiveKit is owed a
    /// command, or while the kind owes work of its own (<see cref="OwesOwnWork"/>).
    /// </summary>
    protected bool NeedsWakeUps => RoomState.Live is not null || RoomState.MediaCommands.Count > 0 || OwesOwnWork;

    /// <summary>The kind has stored work still to do (a channel's directory updates).</summary>
    protected virtual bool OwesOwnWork => false;

    /// <summary>Woken by the reminder: the kind retries its own owed work.</summary>
    protected virtual Task OnWakeUpAsync() => Task.CompletedTask;

    /// <summary>Throws the kind's "not found" unless the user may see this room.</summary>
    protected abstract void EnsureMember(string userId);

    /// <summary>Whether the user may see and join this room (no exception: LiveKit's news is checked with it).</summary>
    protected abstract bool IsMember(string userId);

    /// <summary>
    /// Makes the room live for its first joiner: registers it with the members and sets the live state.
    /// Answers the members it registered with, to be told to forget it should the join not be stored.
    /// </summary>
    protected abstract Task<IReadOnlyCollection<string>> StartLiveAsync(string starterId);

    /// <summary>Refuses a join into a live room that has no seat left (a channel's user limit).</summary>
    protected virtual void EnsureRoomForOneMore(ILiveRoomState live)
    {
    }

    /// <summary>
    /// Publishes the join (with the live room's start, for the first joiner) and whatever follows from it.
    /// Answers the members a DM's new call did not ring (null for anything else).
    /// </summary>
    protected abstract IReadOnlyList<NotRungEntry>? OnParticipantJoined(VoiceParticipant participant, bool started, DateTimeOffset now);

    /// <summary>After the commit of the join that made the room live.</summary>
    protected virtual void OnLiveCommitted(ILiveRoomState live)
    {
    }

    /// <summary>Deadlines of the kind's own (a DM's rings), processed before the empty grace.</summary>
    protected virtual void OnDeadlines(ILiveRoomState live, DateTimeOffset now)
    {
    }

    /// <summary>The earliest deadline of the kind's own, if any.</summary>
    protected virtual DateTimeOffset? NextOwnDeadline() => null;

    /// <summary>The room became empty (rings stop, for a DM); the grace for a rejoin starts after this.</summary>
    protected virtual void OnRoomEmptied(ILiveRoomState live)
    {
    }

    /// <summary>Nobody rejoined within <see cref="CallOptions.EmptyCallGrace"/>: the room ends.</summary>
    protected abstract void OnEmptyGraceOver(ILiveRoomState live);

    protected abstract VoiceEvent JoinedEvent(string callId, long version, VoiceParticipant user);

    protected abstract VoiceEvent LeftEvent(string callId, long version, string userId, string reason);

    protected abstract VoiceEvent UpdatedEvent(string callId, long version, VoiceParticipant user);

    protected abstract VoiceEvent SeatMovedEvent(string callId, long version, VoiceParticipant user, string deviceId, string? previousDeviceId);

    protected static DmVoiceException NotInCall() =>
        new(ErrorCodes.NotInCall, "You are not in this call.");

    private static DmVoiceException NotOnThisDevice() =>
        new(ErrorCodes.NotInCall, "Your voice session in this call is on another of your devices.");

    protected void RemoveParticipant(ILiveRoomState live, ParticipantState participant, string reason, string[]? audience = null)
    {
        live.Participants.Remove(participant);
        var userId = participant.Voice.UserId;
        Emit(v => LeftEvent(live.CallId, v, userId, reason), audience);
        _pendingRemovals.Add((userId, participant.Session));
        if (reason != LeaveReasons.Left)
        {
            // Whoever DmVoice takes out of a call must lose the media too; the client left on its own.
            QueueMediaCommand(MediaCommandKind.RemoveParticipant, userId);
        }
    }

    /// <summary>An empty room waits out the grace for a rejoin.</summary>
    protected void AfterParticipantsChanged(ILiveRoomState live)
    {
        if (RoomState.Live is null || live.Participants.Count > 0 || live.EmptySince is not null)
        {
            return;
        }

        OnRoomEmptied(live);
        live.EmptySince = Clock.UtcNow;
    }

    /// <summary>
    /// Ends the live room: everyone still in it leaves with <paramref name="reason"/>, the members stop
    /// seeing it (after the commit) and LiveKit's room is deleted.
    /// </summary>
    protected void CloseLive(ILiveRoomState live, string reason)
    {
        foreach (var participant in live.Participants.ToArray())
        {
            RemoveParticipant(live, participant, reason);
        }

        RoomState.EndLive();
        DetachMembersAfterCommit(live.CallId, RoomState.Members);
        QueueMediaCommand(MediaCommandKind.DeleteRoom, null);
    }

    /// <summary>
    /// Users who lost access leave the room (<c>removed</c>); they hear it on their own devices too, and
    /// stop seeing the room after the commit.
    /// </summary>
    protected void RemoveFormerMembers(IReadOnlyCollection<string> removed, Action<ILiveRoomState, string, string[]>? alsoFor = null)
    {
        if (RoomState.Live is not { } live || removed.Count == 0)
        {
            return;
        }

        foreach (var userId in removed)
        {
            string[] audience = [.. RoomState.Members, userId];
            if (live.FindParticipant(userId) is { } participant)
            {
                RemoveParticipant(live, participant, LeaveReasons.Removed, audience);
                OnLeftForMedia(userId);
            }

            alsoFor?.Invoke(live, userId, audience);
        }

        AfterParticipantsChanged(live);
        if (RoomState.Live is not null)
        {
            DetachMembersAfterCommit(live.CallId, removed);
        }
    }

    /// <summary>
    /// Moves the user's seat to another of their devices: the others see one update, and the user's own
    /// devices hear where the seat went (the one that held it drops its media). The new device brings
    /// its own microphone and camera state; a screen share stays with the device that made it.
    /// </summary>
    private VoiceParticipant MoveSeat(ILiveRoomState live, ParticipantState participant, string deviceId, string? deviceKind, JoinRequest request)
    {
        var previous = participant.Device;
        var moved = participant.Voice with
        {
            IsMuted = request.IsMuted,
            IsDeafened = false,
            IsVideoEnabled = request.IsVideoEnabled,
            IsScreenSharing = false,
            DeviceKind = deviceKind,
        };
        participant.Voice = moved;
        participant.Device = deviceId;
        var userId = moved.UserId;
        var others = RoomState.Members.Where(m => m != userId).ToArray();
        Emit(v => UpdatedEvent(live.CallId, v, moved), others, v => SeatMovedEvent(live.CallId, v, moved, deviceId, previous), [userId]);
        LogSeatMoved(RoomLabel, userId, previous, deviceId);
        return moved;
    }

    protected IReadOnlyList<VoiceParticipant> ParticipantsOf(ILiveRoomState live) => live.Participants.Select(p => p.Voice).ToArray();
}
