using DmVoice.Grains.Events;
using DmVoice.Grains.Hosting;
using DmVoice.Grains.Push;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Rooms;

/// <summary>What a room grain tells its host about itself: how to store its state, and the work it owes of its own.</summary>
/// <param name="WriteState">Writes the grain's state (and what it stores beside it first, such as a DM's history) or drops the activation.</param>
/// <param name="OwesOwnWork">The kind has stored work still to do (a channel's list updates): the room must be woken after a restart.</param>
/// <param name="WakeUp">Woken by the reminder: the kind retries its own owed work.</param>
internal sealed record RoomShape(
    Func<RoomOutbox, Task> WriteState,
    Func<bool>? OwesOwnWork = null,
    Func<Task>? WakeUp = null);

/// <summary>
/// The Orleans side of a voice room, shared by <see cref="Calls.DmCallGrain"/> and
/// <see cref="Channels.VoiceChannelGrain"/> by composition: it hands each command to the rules
/// (<see cref="RoomRules"/>), stores the state when the rules changed it, and only then carries out their
/// outbox in order (user notices, pushes, events, deregistrations, LiveKit). It arms the deadline
/// timer and, in durable mode, the reminder that brings a live room back after a crash, and it checks
/// the members of a live room now and then (<see cref="RoomMembers"/>). LiveKit is kept in step by
/// <see cref="MediaSync"/>.
/// </summary>
internal sealed partial class RoomHost
{
    private const string DeadlineReminder = "call-deadlines";

    private readonly Grain _grain;
    private readonly IGrainFactory _grains;
    private readonly RoomShape _shape;
    private readonly CallClock _clock;
    private readonly IPushNotifier? _push;
    private readonly ILogger _logger;
    private readonly DeadlineTimer _deadlineTimer;
    private IGrainTimer? _memberCheck;
    private TimeSpan _memberCheckPeriod;

    public RoomHost(Grain grain, IGrainFactory grains, RoomRules rules, RoomShape shape, RoomMembers members, MediaSync media, CallClock clock, IPushNotifier? push, ILogger logger)
    {
        _grain = grain;
        _grains = grains;
        Rules = rules;
        _shape = shape;
        Members = members;
        Media = media;
        _clock = clock;
        _push = push;
        _logger = logger;
        Label = $"{rules.Kind.Here.Kind} {rules.Kind.Here.Id}";
        var self = grain.AsReference<IVoiceRoomGrain>();
        _deadlineTimer = new DeadlineTimer(clock.TimeProvider, () => self.ProcessDeadlines());
    }

    public RoomRules Rules { get; }

    public RoomMembers Members { get; }

    public MediaSync Media { get; }

    /// <summary>How logs name the room ("dm &lt;id&gt;", "channel &lt;id&gt;").</summary>
    public string Label { get; }

    private IVoiceRoomState State => Rules.State;

    private CallContext Here => Rules.Kind.Here;

    public DateTimeOffset Now => _clock.UtcNow;

    /// <summary>Deadlines and owed LiveKit commands are stored: a new activation picks them up where they were.</summary>
    public async Task ActivateAsync()
    {
        _deadlineTimer.Schedule(Rules.NextDeadline());
        Media.Start();
        if (State.Live is { } live)
        {
            // A live room whose activation is new knows nobody's routes yet: ask before any event.
            await Members.AskAsync(live.CallId, State.Members.ToArray());
            EnsureMemberCheck();
        }
    }

    public void Deactivate() => _deadlineTimer.Dispose();

    /// <summary>
    /// A join: the rules take the user in; a room that is not live first asks its members
    /// (<paramref name="askBeforeStart"/>: busy? where are their devices? may they be rung?) and goes live.
    /// Should the state then not be stored, the members it registered with are told to forget the call.
    /// </summary>
    public async Task<RoomJoin> JoinAsync(string userId, JoinRequest request, long session, GatewayRoute[] routes, Func<string, string, Task<MemberAnswers>> askBeforeStart)
    {
        Rules.Kind.EnsureMember(userId);
        ArgumentNullException.ThrowIfNull(request);
        Members.SetRoutes(userId, routes ?? []);
        RoomStart? start = null;
        if (State.Live is null)
        {
            var callId = Guid.NewGuid().ToString("N");
            start = new RoomStart(callId, await askBeforeStart(userId, callId));
        }

        RoomJoin joined;
        try
        {
            joined = Rules.Join(userId, request, session, Now, start);
            await CommitIfChangedAsync();
        }
        catch when (start is not null)
        {
            // The room never went live (the rules refused the join, or it was not stored): the members it
            // registered with must not keep it in their index.
            foreach (var memberId in start.Members.Statuses.Keys)
            {
                Members.Detach(memberId, start.CallId);
            }

            throw;
        }

        Media.EnsureSweep();
        EnsureMemberCheck();
        return joined;
    }

    public async Task<bool> LeaveAsync(string userId, string reason)
    {
        if (!Rules.Leave(userId, reason, Now))
        {
            return false;
        }

        await CommitAsync();
        return true;
    }

    public async Task<VoiceParticipant> UpdateStateAsync(string userId, VoiceStatePatch patch, string? deviceId)
    {
        var updated = Rules.UpdateState(userId, patch, deviceId);
        await CommitIfChangedAsync();
        return updated;
    }

    public string? RoutesChanged(string userId, GatewayRoute[] routes)
    {
        if (!Rules.Kind.IsMember(userId) || State.Live is not { } live)
        {
            // Nothing live here for this user: the answer lets their index drop a stale entry.
            return null;
        }

        Members.SetRoutes(userId, routes);
        return live.CallId;
    }

    /// <summary>A member's user grain could not keep the room posted (see <see cref="RoomMembers.AskAgain"/>); only a live room registers.</summary>
    public void AskAgain(string userId)
    {
        if (State.Live is null || !Rules.Kind.IsMember(userId))
        {
            return;
        }

        Members.AskAgain(userId);
        EnsureMemberCheck();
    }

    public HeldSeat? HeldSeatOf(string userId) =>
        State.Live?.FindParticipant(userId) is { } participant
            ? new HeldSeat(participant.Session, participant.Device, participant.Voice.DeviceKind)
            : null;

    /// <summary>Settles what is due (rings expired, the empty grace over) and stores it.</summary>
    public async Task ProcessDeadlinesAsync()
    {
        Rules.Settle(Now);
        await CommitIfChangedAsync();

        // Re-armed even when nothing was due: a timer that fired a moment early found nothing to settle,
        // and without this its deadline would never be looked at again.
        _deadlineTimer.Schedule(Rules.NextDeadline());
    }

    /// <summary>Before answering a read: a deadline that passed while nothing ran (a restart) is settled first.</summary>
    public async Task SettleBeforeReadAsync()
    {
        if (Rules.NextDeadline() <= Now)
        {
            await ProcessDeadlinesAsync();
        }
    }

    public async Task ReceiveReminderAsync(string reminderName)
    {
        if (reminderName != DeadlineReminder)
        {
            return;
        }

        if (_shape.WakeUp is { } wakeUp)
        {
            await wakeUp();
        }

        await ProcessDeadlinesAsync();
        EnsureMemberCheck();
        if (!NeedsWakeUps)
        {
            // A reminder left behind by a turn whose write failed: the stored state never knew of it.
            await UpdateReminderAsync(needed: false, force: true);
        }
    }

    /// <summary>Applies a command of the rules (LiveKit's news, for instance) and stores what it changed.</summary>
    public async Task<T> ApplyAsync<T>(Func<T> command)
    {
        var result = command();
        await CommitIfChangedAsync();
        return result;
    }

    /// <summary>The sweep's view of the LiveKit room applied; members in it but not in the call then join (outside this turn).</summary>
    public async Task ReconcileAsync(MediaRules media, string callId, IReadOnlyList<MediaParticipant> inRoom)
    {
        var toJoin = media.Reconcile(callId, inRoom, Now);
        await CommitIfChangedAsync();
        Media.JoinFromRoom(toJoin);
    }

    /// <summary>Stores the state only if the turn changed it (or owes anything); then carries out the outbox.</summary>
    public Task CommitIfChangedAsync() =>
        Rules.Outbox.StateChanged || Rules.Outbox.Events.Count > 0 ? CommitAsync() : Task.CompletedTask;

    /// <summary>
    /// Writes the state, then carries out the outbox in order, then re-arms the deadline timer. When the
    /// write fails, nothing that was queued goes out and the activation is dropped (see
    /// <see cref="StateWrites"/>): no event for a change that was not stored.
    /// </summary>
    public async Task CommitAsync()
    {
        // Taken first: should the write fail, the activation is dropped with this turn's changes and
        // nothing of the outbox goes out.
        var outbox = Rules.Outbox.Take();

        // While a room is live (or LiveKit is owed a command) a reminder brings back an activation
        // that went away (a silo crash, a failed write): its deadlines, member checks and owed commands resume.
        // It is not removed when the room stops needing it: its next tick finds nothing due and removes it
        // (ReceiveReminderAsync), so a DM called again within the minute keeps it, and a call's last leave
        // waits for no reminder-table write. A registration that fails (the reminder's silo just died)
        // fails the turn as a failed write does: the activation is dropped with the turn's changes.
        if (NeedsWakeUps)
        {
            await _grain.OrDropAsync(() => UpdateReminderAsync(needed: true));
        }

        await _shape.WriteState(outbox);
        _deadlineTimer.Schedule(Rules.NextDeadline());
        await CarryOutAsync(outbox);
    }

    /// <summary>Whether the room must be woken after a restart (durable mode): while live, while LiveKit is owed a command, or while the kind owes work.</summary>
    private bool NeedsWakeUps => State.Live is not null || State.MediaCommands.Count > 0 || (_shape.OwesOwnWork?.Invoke() ?? false);

    private async Task CarryOutAsync(RoomOutbox outbox)
    {
        var grains = _grains;
        var here = Here;
        foreach (var (userId, session) in outbox.Removals)
        {
            grains.GetGrain<IUserVoiceGrain>(userId).OnRemovedFromCall(here, session).Ignore();
        }

        // Rings count against each caller's limit only now that they are stored, at the recipient's user
        // grain (which answers the next ring question). A call start's counts ride on its DM activity, below.
        if (outbox.ActivityAt is null)
        {
            foreach (var (recipient, callerId) in outbox.RingCounts)
            {
                grains.GetGrain<IUserVoiceGrain>(recipient).CountRing(callerId).Ignore();
            }
        }

        foreach (var (userId, record) in outbox.MissedCalls)
        {
            grains.GetGrain<IUserDirectoryGrain>(userId).AddMissedCall(record).Ignore();
        }

        // Push notifications go out only for what was stored, in the order it happened; one-way.
        foreach (var (recipient, started, stopped) in outbox.Pushes)
        {
            if (started is not null)
            {
                _push?.RingStarted(recipient, started);
            }
            else
            {
                _push?.RingStopped(recipient, stopped!);
            }
        }

        // Never throws: an event that cannot be sent now is owed and sent again, in order (OwingEventPublisher).
        await Members.PublishAsync(outbox.Events);

        // Last: the departing still needed their routes for the events above.
        foreach (var (userId, callId) in outbox.Detachments)
        {
            Members.Detach(userId, callId);
        }

        if (outbox.ActivityAt is { } at)
        {
            // A call that starts is activity in its DM: it moves up in every member's list. One-way, to the
            // members' user grains, which the call has just registered with: they hold it for the lists, and
            // count the ring of each member it rang.
            foreach (var userId in State.Members)
            {
                grains.GetGrain<IUserVoiceGrain>(userId).DmActivity(here.Id, at, RungBy(outbox, userId)).Ignore();
            }
        }

        if (outbox.MediaCommandsQueued)
        {
            Media.ScheduleCommands();
        }
    }

    private static string? RungBy(RoomOutbox outbox, string userId)
    {
        foreach (var (recipient, callerId) in outbox.RingCounts)
        {
            if (recipient == userId)
            {
                return callerId;
            }
        }

        return null;
    }

    /// <summary>
    /// While a room is live it checks its members now and then: routes and registrations that went
    /// missing are repaired, and a participant whose user grain says they are elsewhere (a join whose
    /// user side was never stored, a move whose leave was lost) is removed. Soon after a member could not
    /// be reached, otherwise every <see cref="CallOptions.MemberCheckInterval"/>.
    /// </summary>
    public void EnsureMemberCheck()
    {
        var period = Members.AnyUnreachable ? TimeSpan.FromSeconds(2) : Rules.Options.MemberCheckInterval;
        if (State.Live is null || (_memberCheck is not null && _memberCheckPeriod == period))
        {
            return;
        }

        _memberCheck?.Dispose();
        _memberCheckPeriod = period;
        _memberCheck = _grain.RegisterGrainTimer(
            _ => CheckMembersAsync(),
            new GrainTimerCreationOptions { DueTime = period, Period = period });
    }

    private async Task CheckMembersAsync()
    {
        if (State.Live is not { } live)
        {
            _memberCheck?.Dispose();
            _memberCheck = null;
            Members.ForgetUnreachable();
            return;
        }

        var statuses = await Members.AskAsync(live.CallId, State.Members.ToArray());
        foreach (var ghost in Rules.RemoveGhosts(statuses, Now))
        {
            LogGhostParticipant(Label, ghost);
        }

        await CommitIfChangedAsync();

        // The other way round: a member who believes they are in this call but holds no seat (their
        // leave or removal was stored here but never reached them) is told they are out.
        var here = Here;
        foreach (var (userId, status) in statuses)
        {
            if (status.ActiveCall == here && !status.Joining && live.FindParticipant(userId) is null)
            {
                LogSeatlessMember(Label, userId);
                _grains.GetGrain<IUserVoiceGrain>(userId).OnRemovedFromCall(here, status.Session).Ignore();
            }
        }

        EnsureMemberCheck();
    }

    private async Task UpdateReminderAsync(bool needed, bool force = false)
    {
        if (!Rules.Options.DurableDeadlines || (needed == State.ReminderRegistered && !force))
        {
            return;
        }

        if (needed)
        {
            // Reminders cannot fire sooner than a minute; they only wake the grain after a restart,
            // and the in-memory timer does the exact timing.
            await _grain.RegisterOrUpdateReminder(DeadlineReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }
        else if (await _grain.GetReminder(DeadlineReminder) is { } reminder)
        {
            await _grain.UnregisterReminder(reminder);
        }

        State.ReminderRegistered = needed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: {UserId}'s user grain places them elsewhere; removing them from the call")]
    private partial void LogGhostParticipant(string room, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: {UserId} believes they are in the call but holds no seat; telling them")]
    private partial void LogSeatlessMember(string room, string userId);
}
