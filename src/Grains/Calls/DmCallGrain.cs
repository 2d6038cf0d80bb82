using DmVoice.Grains.Events;
using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using DmVoice.Grains.LiveKit;
using DmVoice.Grains.Push;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Calls;

/// <summary>
/// One DM's call: who is in it and with what voice state, the call's lifecycle and history. The other
/// facets live beside this file: ringing (<c>.Ringing.cs</c>), membership and routes to members'
/// gateways (<c>.Members.cs</c>), commit and publish (<c>.Commit.cs</c>), keeping LiveKit in step
/// (<c>.Media.cs</c>) and logging (<c>.Log.cs</c>). Every change is persisted first and then
/// published, in order, to the DM's members.
/// </summary>
public sealed partial class DmCallGrain : Grain, IDmCallGrain, IRemindable
{
    private readonly IPersistentState<DmCallState> _state;
    private readonly IPersistentState<CallHistoryState> _history;
    private readonly CallClock _clock;
    private readonly CallOptions _options;
    private readonly DmVoiceClusterOptions _cluster;
    private readonly CallMetrics _metrics;
    private readonly ILogger<DmCallGrain> _logger;
    private readonly IPushNotifier _push;
    private readonly DeadlineTimer _deadlineTimer;
    private IEventPublisher _publisher = null!;

    public DmCallGrain(
        [PersistentState("call", StorageNames.Default)] IPersistentState<DmCallState> state,
        [PersistentState("history", StorageNames.Default)] IPersistentState<CallHistoryState> history,
        CallClock clock,
        IOptions<CallOptions> options,
        IOptions<DmVoiceClusterOptions> cluster,
        CallMetrics metrics,
        IPushNotifier push,
        ILogger<DmCallGrain> logger)
    {
        _state = state;
        _history = history;
        _clock = clock;
        _options = options.Value;
        _cluster = cluster.Value;
        _metrics = metrics;
        _logger = logger;
        _push = push;
        var self = this.AsReference<IDmCallGrain>();
        _deadlineTimer = new DeadlineTimer(clock.TimeProvider, () => self.ProcessDeadlines());
    }

    private string DmGroupId => this.GetPrimaryKeyString();

    private DmCallState State => _state.State;

    /// <summary>This call, as members' user grains know it.</summary>
    private CallContext Here => CallContext.Dm(DmGroupId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _publisher = EventPublishers.For(this, _cluster);

        // Deadlines and owed LiveKit commands are persisted: an activation after a restart picks them
        // up where they were.
        _deadlineTimer.Schedule(NextDeadline());
        EnsureMediaSweep();
        ScheduleMediaCommands();
        if (State.Call is { } call)
        {
            // A live call whose activation is new knows nobody's routes yet: ask before any event.
            await ReattachMembersAsync(call);
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _deadlineTimer.Dispose();
        return Task.CompletedTask;
    }

    public async Task<JoinResult> Join(string userId, JoinRequest request, long session, GatewayRoute[] routes)
    {
        EnsureMember(userId);
        ArgumentNullException.ThrowIfNull(request);
        var displayName = Validate.OptionalName(request.DisplayName, "displayName") ?? userId;
        _publisher.SetRoutes(userId, routes ?? []);

        // Removing this user's media, or deleting the room, would now undo the join.
        CancelStaleMediaCommands(userId);

        if (State.Call is { } live && live.FindParticipant(userId) is { } existing)
        {
            // Joining again (another device, a retry) is not a change, but the newest session wins.
            existing.Session = session;
            await CommitAsync();
            return new JoinResult(DmGroupId, live.CallId, false, existing.Voice, State.Version);
        }

        var started = State.Call is null;
        RingPlan? plan = null;
        var call = State.Call!;
        if (started)
        {
            (call, plan) = await StartCallAsync(userId);
        }

        var now = _clock.UtcNow;
        IReadOnlyList<NotRungEntry>? notRung = null;
        var participant = new VoiceParticipant(userId, displayName, request.IsMuted, false, request.IsVideoEnabled, false, now);
        call.Participants.Add(new ParticipantState { Voice = participant, Session = session });
        if (!call.EverJoined.Contains(userId))
        {
            call.EverJoined.Add(userId);
        }

        call.EmptySince = null;
        _metrics.Joined();

        if (started)
        {
            call.Outcomes[userId] = MemberOutcomes.Started;
            (var ringing, notRung) = StartRings(call, plan!, now, participant, countsTowardLimit: true);
            EmitShowingRings(
                (v, visible) => new CallStartedEvent { DmGroupId = DmGroupId, CallId = call.CallId, Version = v, User = participant, Ringing = visible, NotRung = notRung },
                ringing);
            _metrics.CallStarted();
            LogCallStarted(DmGroupId, call.CallId, userId, ringing.Count);

            // A 1:1 call whose only recipient is busy elsewhere (or was rung too often lately) has nobody to wait for.
            EndOneToOneIfUnanswered(call, NotRungEndReason(notRung));
        }
        else
        {
            // A rejoin keeps how the member first took part (the starter stays "started"); a member
            // who was rung (and maybe missed or declined) and joins after all has accepted.
            call.Outcomes[userId] = call.Outcomes.GetValueOrDefault(userId) switch
            {
                null => MemberOutcomes.Joined,
                MemberOutcomes.Started or MemberOutcomes.Joined => call.Outcomes[userId],
                _ => RingOutcomes.Accepted,
            };
            Emit(v => new UserJoinedEvent { DmGroupId = DmGroupId, CallId = call.CallId, Version = v, User = participant });
            if (call.FindRing(userId) is { } ring)
            {
                StopRing(call, ring, RingOutcomes.Accepted);
            }
        }

        try
        {
            await CommitAsync();
        }
        catch when (started)
        {
            // The call never existed: the members it registered with must not keep it in their index.
            foreach (var memberId in plan!.Statuses.Keys)
            {
                DetachNow(memberId, call.CallId);
            }

            throw;
        }

        OnJoinedForMedia(userId);
        EnsureMemberCheck();
        if (started)
        {
            AnnounceCallActivity(call.StartedAt);
        }

        return new JoinResult(DmGroupId, call.CallId, started, participant, State.Version, notRung);
    }

    public async Task<bool> Leave(string userId, string reason)
    {
        if (State.Call is not { } call || call.FindParticipant(userId) is not { } participant)
        {
            return false;
        }

        RemoveParticipant(call, participant, reason);
        AfterParticipantsChanged(call);
        await CommitAsync();
        OnLeftForMedia(userId);
        return true;
    }

    public async Task<VoiceParticipant> UpdateState(string userId, VoiceStatePatch patch)
    {
        EnsureMember(userId);
        ArgumentNullException.ThrowIfNull(patch);
        var call = State.Call;
        var participant = call?.FindParticipant(userId) ?? throw NotInCall();
        var updated = participant.Voice.With(patch);
        if (updated == participant.Voice)
        {
            return updated;
        }

        participant.Voice = updated;
        Emit(v => new UserUpdatedEvent { DmGroupId = DmGroupId, CallId = call!.CallId, Version = v, User = updated });
        await CommitAsync();
        return updated;
    }

    public async Task<CallPresence> GetPresence(string requesterId)
    {
        EnsureMember(requesterId);
        if (NextDeadline() <= _clock.UtcNow)
        {
            // A deadline passed while nothing was active (e.g. during a restart): settle it first,
            // so nobody is shown ringing after their ring has expired.
            await ProcessDeadlines();
        }

        return BuildPresence(requesterId);
    }

    public Task<IReadOnlyList<CallRecord>> GetHistory(string requesterId, int limit, DateTimeOffset? before)
    {
        EnsureMember(requesterId);
        IReadOnlyList<CallRecord> page = Enumerable.Reverse(_history.State.Records)
            .Where(r => before is null || r.StartedAt < before)
            .Take(Math.Clamp(limit, 1, 100))
            .Select(r => AsSeenBy(r, requesterId))
            .ToArray();
        return Task.FromResult(page);
    }

    public async Task EndCall(string reason)
    {
        if (State.Call is not { } call)
        {
            return;
        }

        FinishCall(call, reason);
        await CommitAsync();
    }

    public async Task ProcessDeadlines()
    {
        if (State.Call is not { } call)
        {
            await CommitAsync();
            return;
        }

        var now = _clock.UtcNow;
        var expired = call.Rings.Where(r => r.Entry.ExpiresAt <= now).ToArray();
        foreach (var ring in expired)
        {
            // A dismissed ring keeps "dismissed" in the record; the others (never the recipient, whose
            // devices already stopped) see a timeout.
            var outcome = ring.Dismissed ? RingOutcomes.Dismissed : RingOutcomes.Missed;
            StopRing(call, ring, outcome, announcedOutcome: RingOutcomes.Missed);
        }

        if (expired.Length > 0)
        {
            EndOneToOneIfUnanswered(call, CallEndReasons.NoAnswer);
        }

        if (State.Call is not null && call.Participants.Count == 0 && call.EmptySince + _options.EmptyCallGrace <= now)
        {
            FinishCall(call, CallEndReasons.Ended);
        }

        await CommitAsync();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != DeadlineReminder)
        {
            return;
        }

        await ProcessDeadlines();
        EnsureMemberCheck();
        if (State.Call is null && State.MediaCommands.Count == 0)
        {
            // A reminder left behind by a turn whose write failed: the stored state never knew of it.
            await UpdateReminderAsync(needed: false, force: true);
        }
    }

    private void EnsureMember(string userId)
    {
        Validate.Id(userId, "userId");
        if (!State.Known || !State.Members.Contains(userId))
        {
            throw DmVoiceException.DmNotFound(DmGroupId);
        }
    }

    private static DmVoiceException NotInCall() =>
        new(ErrorCodes.NotInCall, "You are not in this DM's call.");

    private void RemoveParticipant(LiveCallState call, ParticipantState participant, string reason, string[]? audience = null)
    {
        call.Participants.Remove(participant);
        var userId = participant.Voice.UserId;
        Emit(v => new UserLeftEvent { DmGroupId = DmGroupId, CallId = call.CallId, Version = v, UserId = userId, Reason = reason }, audience);
        _pendingRemovals.Add((userId, participant.Session));
        if (reason != LeaveReasons.Left)
        {
            // Whoever DmVoice takes out of a call must lose the media too; the client left on its own.
            QueueMediaCommand(MediaCommandKind.RemoveParticipant, userId);
        }
    }

    /// <summary>An empty call stops ringing and waits out the grace for a rejoin.</summary>
    private void AfterParticipantsChanged(LiveCallState call)
    {
        if (State.Call is null || call.Participants.Count > 0 || call.EmptySince is not null)
        {
            return;
        }

        foreach (var ring in call.Rings.ToArray())
        {
            StopRing(call, ring, RingOutcomes.Cancelled);
        }

        call.EmptySince = _clock.UtcNow;
    }

    private void FinishCall(LiveCallState call, string reason)
    {
        foreach (var ring in call.Rings.ToArray())
        {
            StopRing(call, ring, RingOutcomes.Cancelled);
        }

        foreach (var participant in call.Participants.ToArray())
        {
            RemoveParticipant(call, participant, LeaveReasons.CallEnded);
        }

        var now = _clock.UtcNow;
        var duration = now - call.StartedAt;
        // Members who left the DM during the call keep their outcome (e.g. removed while ringing).
        var formerMembers = call.Outcomes.Keys.Where(id => !State.Members.Contains(id));
        var outcomes = State.Members.Concat(formerMembers)
            .Select(m => new MemberOutcome(m, call.Outcomes.GetValueOrDefault(m, MemberOutcomes.NotRung)))
            .ToArray();
        var record = new CallRecord(
            call.CallId, DmGroupId, call.StartedBy, call.StartedAt, now, (long)duration.TotalMilliseconds, reason,
            call.EverJoined.ToArray(), outcomes);

        var records = _history.State.Records;
        records.RemoveAll(r => r.CallId == record.CallId);
        records.Add(record);
        var excess = records.Count - _options.HistoryLimit;
        if (excess > 0)
        {
            foreach (var dropped in records.Take(excess))
            {
                _history.State.BlockedRecipients.Remove(dropped.CallId);
            }

            records.RemoveRange(0, excess);
        }

        if (call.BlockedRecipients.Count > 0)
        {
            _history.State.BlockedRecipients[record.CallId] = [.. call.BlockedRecipients];
        }

        _pendingRecords.Add(record);
        State.Call = null;

        // Those who blocked a caller read their own outcome as "blocked"; everyone else the same record.
        var blocked = call.BlockedRecipients.ToArray();
        Emit(
            v => new CallEndedEvent { DmGroupId = DmGroupId, CallId = call.CallId, Version = v, Reason = reason, DurationMs = record.DurationMs, Record = record },
            State.Members.Where(m => !call.BlockedRecipients.Contains(m)).ToArray());
        foreach (var userId in blocked.Where(State.Members.Contains))
        {
            EmitAgain(
                v => new CallEndedEvent { DmGroupId = DmGroupId, CallId = call.CallId, Version = v, Reason = reason, DurationMs = record.DurationMs, Record = AsSeenBy(record, userId, blocked) },
                [userId]);
        }
        DetachMembersAfterCommit(call.CallId, State.Members);
        QueueMediaCommand(MediaCommandKind.DeleteRoom, null);
        _metrics.CallEnded(reason, duration);
        LogCallEnded(DmGroupId, call.CallId, reason, record.DurationMs);
    }

    /// <summary>
    /// A record as one member reads it: someone who blocked a caller reads their own outcome as
    /// <c>blocked</c>; everyone else reads what the caller saw (an unanswered ring).
    /// </summary>
    private CallRecord AsSeenBy(CallRecord record, string requesterId, IReadOnlyCollection<string>? blocked = null)
    {
        blocked ??= _history.State.BlockedRecipients.GetValueOrDefault(record.CallId);
        if (blocked is null || !blocked.Contains(requesterId))
        {
            return record;
        }

        return record with
        {
            Outcomes = record.Outcomes.Select(o => o.UserId == requesterId ? o with { Outcome = RingOutcomes.Blocked } : o).ToArray(),
        };
    }

    private CallPresence BuildPresence(string requesterId)
    {
        if (State.Call is not { } call)
        {
            return new CallPresence(DmGroupId, null, null, null, [], [], State.Version);
        }

        var ringing = call.Rings
            .Where(r => !((r.Dismissed || r.Hidden) && r.Entry.UserId == requesterId))
            .Select(r => r.Entry)
            .ToArray();
        return new CallPresence(
            DmGroupId, call.CallId, call.StartedAt, call.StartedBy, call.Participants.Select(p => p.Voice).ToArray(), ringing, State.Version);
    }
}
