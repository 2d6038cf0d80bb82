using DmVoice.Grains.Events;
using DmVoice.Grains.Hosting;
using DmVoice.Grains.Push;
using DmVoice.LiveKit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Calls;

/// <summary>
/// One DM's call. Who is in it and with what voice state, the <c>version</c>, commit and publish, routes,
/// member checks and LiveKit follow the rules every voice room shares (<see cref="VoiceRoomGrain"/>).
/// What only a DM's call has lives here and beside this file: the call's lifecycle and history (this
/// file), ringing (<c>.Ringing.cs</c>), membership pushed by the group (<c>.Members.cs</c>), activity
/// in members' DM lists (<c>.Activity.cs</c>) and its own log messages (<c>.Log.cs</c>).
/// </summary>
public sealed partial class DmCallGrain : VoiceRoomGrain, IDmCallGrain, IDmCallMediaGrain
{
    private readonly IPersistentState<DmCallState> _state;
    private readonly IPersistentState<CallHistoryState> _history;
    private readonly CallOptions _options;
    private readonly CallMetrics _metrics;
    private readonly ILogger<DmCallGrain> _logger;
    private readonly CallClock _clock;
    private readonly IPushNotifier _push;

    // History records of calls that ended in this turn: written before the state, announced after it.
    private readonly List<CallRecord> _pendingRecords = [];

    // Push notifications of rings started and stopped in this turn, sent after the commit, in order.
    private readonly List<(string Recipient, RingStartedPush? Started, RingStoppedPush? Stopped)> _pendingPushes = [];

    // Rings of a call started in this turn, counted against each caller's per-recipient limit once stored.
    private readonly List<(string Recipient, string CallerId)> _pendingRingCounts = [];

    // Whom a starting call may ring and how, until the join's events are made.
    private RingPlan? _startPlan;

    public DmCallGrain(
        [PersistentState("call", StorageNames.Default)] IPersistentState<DmCallState> state,
        [PersistentState("history", StorageNames.Default)] IPersistentState<CallHistoryState> history,
        CallClock clock,
        IOptions<CallOptions> options,
        IOptions<DmVoiceClusterOptions> cluster,
        CallMetrics metrics,
        LocalGateways localGateways,
        IPushNotifier push,
        ILogger<DmCallGrain> logger)
        : base(clock, options.Value, cluster.Value, metrics, localGateways, logger)
    {
        _state = state;
        _history = history;
        _clock = clock;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        _push = push;
    }

    private string DmGroupId => this.GetPrimaryKeyString();

    private DmCallState State => _state.State;

    protected override IVoiceRoomState RoomState => State;

    protected override CallContext Here => CallContext.Dm(DmGroupId);

    protected override string MediaRoomName => LiveKitRooms.ForDm(DmGroupId);

    protected override Func<IUserVoiceGrain, JoinRequest, Task> MediaJoin
    {
        get
        {
            var dmGroupId = DmGroupId;
            return (user, request) => user.JoinDmCall(dmGroupId, request);
        }
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

    protected override void EnsureMember(string userId)
    {
        Validate.Id(userId, "userId");
        if (!IsMember(userId))
        {
            throw DmVoiceException.DmNotFound(DmGroupId);
        }
    }

    protected override bool IsMember(string userId) => State.Known && State.Members.Contains(userId);

    protected override bool RoomExists => State.Known;

    protected override async Task<IReadOnlyCollection<string>> StartLiveAsync(string starterId)
    {
        (_, _startPlan) = await StartCallAsync(starterId);
        return _startPlan.Statuses.Keys.ToArray();
    }

    protected override IReadOnlyList<NotRungEntry>? OnParticipantJoined(VoiceParticipant participant, bool started, DateTimeOffset now)
    {
        var call = State.Call!;
        var userId = participant.UserId;
        if (!call.EverJoined.Contains(userId))
        {
            call.EverJoined.Add(userId);
        }

        if (started)
        {
            var plan = _startPlan!;
            _startPlan = null;
            call.Outcomes[userId] = MemberOutcomes.Started;
            var (ringing, notRung) = StartRings(call, plan, now, participant, countsTowardLimit: true);
            EmitShowingRings(
                (v, visible) => new CallStartedEvent { DmGroupId = DmGroupId, CallId = call.CallId, Version = v, User = participant, Ringing = visible, NotRung = notRung },
                ringing);
            _metrics.CallStarted();
            LogCallStarted(DmGroupId, call.CallId, userId, ringing.Count);

            // A 1:1 call whose only recipient is busy elsewhere (or was rung too often lately) has nobody to wait for.
            EndOneToOneIfUnanswered(call, NotRungEndReason(notRung));
            return notRung;
        }

        // A rejoin keeps how the member first took part (the starter stays "started"); a member
        // who was rung (and maybe missed or declined) and joins after all has accepted.
        call.Outcomes[userId] = call.Outcomes.GetValueOrDefault(userId) switch
        {
            null => MemberOutcomes.Joined,
            MemberOutcomes.Started or MemberOutcomes.Joined => call.Outcomes[userId],
            _ => RingOutcomes.Accepted,
        };
        Emit(v => JoinedEvent(call.CallId, v, participant));
        if (call.FindRing(userId) is { } ring)
        {
            StopRing(call, ring, RingOutcomes.Accepted);
        }

        return null;
    }

    protected override void OnLiveCommitted(ILiveRoomState live) => AnnounceCallActivity(live.StartedAt);

    protected override void OnDeadlines(ILiveRoomState live, DateTimeOffset now)
    {
        var call = (LiveCallState)live;
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
    }

    protected override DateTimeOffset? NextOwnDeadline() =>
        State.Call is { Rings.Count: > 0 } call ? call.Rings.Min(r => r.Entry.ExpiresAt) : null;

    /// <summary>An empty call stops ringing while it waits out the grace for a rejoin.</summary>
    protected override void OnRoomEmptied(ILiveRoomState live)
    {
        var call = (LiveCallState)live;
        foreach (var ring in call.Rings.ToArray())
        {
            StopRing(call, ring, RingOutcomes.Cancelled);
        }
    }

    protected override void OnEmptyGraceOver(ILiveRoomState live) => FinishCall((LiveCallState)live, CallEndReasons.Ended);

    protected override void OnMediaRoomFinished(ILiveRoomState live) => FinishCall((LiveCallState)live, CallEndReasons.RoomFinished);

    protected override VoiceEvent JoinedEvent(string callId, long version, VoiceParticipant user) =>
        new UserJoinedEvent { DmGroupId = DmGroupId, CallId = callId, Version = version, User = user };

    protected override VoiceEvent LeftEvent(string callId, long version, string userId, string reason) =>
        new UserLeftEvent { DmGroupId = DmGroupId, CallId = callId, Version = version, UserId = userId, Reason = reason };

    protected override VoiceEvent UpdatedEvent(string callId, long version, VoiceParticipant user) =>
        new UserUpdatedEvent { DmGroupId = DmGroupId, CallId = callId, Version = version, User = user };

    protected override VoiceEvent SeatMovedEvent(string callId, long version, VoiceParticipant user, string deviceId, string? previousDeviceId) =>
        new SessionMovedEvent { DmGroupId = DmGroupId, CallId = callId, Version = version, User = user, DeviceId = deviceId, PreviousDeviceId = previousDeviceId };

    protected override async Task WriteStateAsync()
    {
        if (_pendingRecords.Count > 0)
        {
            // History first: a record of a call whose end then fails to be stored is replaced by
            // the record written when the call really ends (same call id), never duplicated.
            await _history.WriteOrDropAsync(this);
        }

        await _state.WriteOrDropAsync(this);
    }

    protected override void DiscardOwnPending()
    {
        _pendingRecords.Clear();
        _pendingPushes.Clear();
        _pendingRingCounts.Clear();
        _startPlan = null;
    }

    /// <summary>
    /// The rings of a call that started count against each caller's per-recipient limit, now that they are
    /// stored. Members whose ring of a call that just ended counts as missed hear of it in their directory (not
    /// those rung hidden: it never rang them); then the push notifications of the turn go out, in order.
    /// </summary>
    protected override void FlushOwnPending()
    {
        var records = _pendingRecords.ToArray();
        var pushes = _pendingPushes.ToArray();
        var ringCounts = _pendingRingCounts.ToArray();
        _pendingRecords.Clear();
        _pendingPushes.Clear();
        _pendingRingCounts.Clear();
        foreach (var (recipient, callerId) in ringCounts)
        {
            GrainFactory.GetGrain<IUserSettingsGrain>(recipient).CountRing(callerId).Ignore();
        }

        foreach (var record in records)
        {
            var blocked = _history.State.BlockedRecipients.GetValueOrDefault(record.CallId) ?? [];
            foreach (var outcome in record.Outcomes.Where(o => RingOutcomes.IsMissed(o.Outcome) && State.Members.Contains(o.UserId) && !blocked.Contains(o.UserId)))
            {
                GrainFactory.GetGrain<IUserDirectoryGrain>(outcome.UserId).AddMissedCall(record).Ignore();
            }
        }

        // Push notifications go out only for what was stored, in the order it happened; one-way.
        foreach (var (recipient, started, stopped) in pushes)
        {
            if (started is not null)
            {
                _push.RingStarted(recipient, started);
            }
            else
            {
                _push.RingStopped(recipient, stopped!);
            }
        }
    }

    private void FinishCall(LiveCallState call, string reason)
    {
        foreach (var ring in call.Rings.ToArray())
        {
            StopRing(call, ring, RingOutcomes.Cancelled);
        }

        CloseLive(call, LeaveReasons.CallEnded);

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
        return new CallPresence(DmGroupId, call.CallId, call.StartedAt, call.StartedBy, ParticipantsOf(call), ringing, State.Version);
    }
}
