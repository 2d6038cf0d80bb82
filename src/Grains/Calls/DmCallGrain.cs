using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using DmVoice.Grains.LiveKit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace DmVoice.Grains.Calls;

/// <summary>
/// One DM's call: participants, voice state, rings, deadlines and history. Every change is
/// persisted first and then published, in order, to each member's user stream.
/// </summary>
public sealed partial class DmCallGrain : Grain, IDmCallGrain, IRemindable
{
    private const string DeadlineReminder = "call-deadlines";

    private readonly IPersistentState<DmCallState> _state;
    private readonly IPersistentState<CallHistoryState> _history;
    private readonly CallClock _clock;
    private readonly CallOptions _options;
    private readonly ILiveKitCommands _liveKit;
    private readonly CallMetrics _metrics;
    private readonly ILogger<DmCallGrain> _logger;
    private readonly DeadlineTimer _deadlineTimer;
    private readonly Dictionary<string, IAsyncStream<VoiceEvent>> _streams = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<DateTimeOffset>> _recentRings = new(StringComparer.Ordinal);

    // Work that follows a committed change, done after the state write succeeds.
    private readonly List<(VoiceEvent Event, string[] Recipients)> _pendingEvents = [];
    private readonly List<(string UserId, long Session)> _pendingRemovals = [];
    private readonly List<CallRecord> _pendingRecords = [];

    public DmCallGrain(
        [PersistentState("call", StorageNames.Default)] IPersistentState<DmCallState> state,
        [PersistentState("history", StorageNames.Default)] IPersistentState<CallHistoryState> history,
        CallClock clock,
        IOptions<CallOptions> options,
        ILiveKitCommands liveKit,
        CallMetrics metrics,
        ILogger<DmCallGrain> logger)
    {
        _state = state;
        _history = history;
        _clock = clock;
        _options = options.Value;
        _liveKit = liveKit;
        _metrics = metrics;
        _logger = logger;
        var self = this.AsReference<IDmCallGrain>();
        _deadlineTimer = new DeadlineTimer(clock, () => self.ProcessDeadlines());
    }

    private string DmGroupId => this.GetPrimaryKeyString();

    private DmCallState S => _state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Deadlines are persisted: an activation after a restart picks them up where they were.
        _deadlineTimer.Schedule(NextDeadline());
        EnsureMediaSweep();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _deadlineTimer.Dispose();
        return Task.CompletedTask;
    }

    public async Task SyncMembers(IReadOnlyList<string> memberIds, bool isGroup)
    {
        var removed = S.Members.Except(memberIds, StringComparer.Ordinal).ToArray();
        S.Known = memberIds.Count > 0;
        S.Members = memberIds.ToList();
        S.IsGroup = isGroup;

        if (S.Call is { } call)
        {
            foreach (var userId in removed)
            {
                // The removed user hears about it too, on their own devices.
                string[] audience = [.. S.Members, userId];
                if (call.FindParticipant(userId) is { } participant)
                {
                    RemoveParticipant(call, participant, LeaveReasons.Removed, audience);
                }

                if (call.FindRing(userId) is { } ring)
                {
                    StopRing(call, ring, RingOutcomes.Removed, audience);
                }
            }

            AfterParticipantsChanged(call);
        }

        await CommitAsync();
    }

    public async Task<JoinResult> Join(string userId, JoinRequest request, long session)
    {
        EnsureMember(userId);
        ArgumentNullException.ThrowIfNull(request);
        var displayName = Validate.OptionalName(request.DisplayName, "displayName") ?? userId;
        var now = _clock.UtcNow;

        var call = S.Call;
        var started = call is null;
        if (call is null)
        {
            call = new LiveCallState { CallId = Guid.NewGuid().ToString("N"), StartedAt = now, StartedBy = userId };
            S.Call = call;
        }
        else if (call.FindParticipant(userId) is { } existing)
        {
            // Joining again (another device, a retry) is not a change, but the newest session wins.
            existing.Session = session;
            await CommitAsync();
            return new JoinResult(DmGroupId, call.CallId, false, existing.Voice, S.Version);
        }

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
            var ringing = await StartRingsAsync(call, S.Members.Where(m => m != userId), now);
            Emit(v => new CallStartedEvent { DmGroupId = DmGroupId, CallId = call.CallId, Version = v, User = participant, Ringing = ringing });
            _metrics.CallStarted();
            LogCallStarted(DmGroupId, call.CallId, userId, ringing.Count);

            // A 1:1 call whose only recipient is busy elsewhere has nobody to wait for.
            EndOneToOneIfUnanswered(call, CallEndReasons.Busy);
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

        await CommitAsync();
        OnJoinedForMedia(userId);
        return new JoinResult(DmGroupId, call.CallId, started, participant, S.Version);
    }

    public async Task<bool> Leave(string userId, string reason)
    {
        if (S.Call is not { } call || call.FindParticipant(userId) is not { } participant)
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
        var call = S.Call;
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

    public async Task<IReadOnlyList<RingingEntry>> Ring(string requesterId, IReadOnlyList<string>? recipientIds)
    {
        EnsureMember(requesterId);
        var call = S.Call ?? throw new DmVoiceException(ErrorCodes.NoActiveCall, "This DM has no live call to ring for.");
        if (call.FindParticipant(requesterId) is null)
        {
            throw NotInCall();
        }

        ValidateRecipients(recipientIds);
        var now = _clock.UtcNow;
        EnforceRingRate(requesterId, now);

        var targets = (recipientIds ?? S.Members)
            .Where(m => m != requesterId && call.FindParticipant(m) is null && call.FindRing(m) is null)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        if (targets.Length == 0)
        {
            return [];
        }

        var ringing = await StartRingsAsync(call, targets, now);
        if (ringing.Count > 0)
        {
            Emit(v => new RingStartedEvent { DmGroupId = DmGroupId, CallId = call.CallId, Version = v, Ringing = ringing });
        }

        await CommitAsync();
        return ringing;
    }

    public async Task Decline(string userId)
    {
        var (call, ring) = RequireRing(userId);
        StopRing(call, ring, RingOutcomes.Declined);
        EndOneToOneIfUnanswered(call, CallEndReasons.Declined);
        await CommitAsync();
    }

    public async Task Dismiss(string userId)
    {
        var (call, ring) = RequireRing(userId);
        if (ring.Dismissed)
        {
            return;
        }

        // Silence every device of the recipient only; the caller is not told and still sees it ring.
        ring.Dismissed = true;
        call.Outcomes[userId] = RingOutcomes.Dismissed;
        Emit(
            v => new RingStoppedEvent { DmGroupId = DmGroupId, CallId = call.CallId, Version = v, UserId = userId, RingId = ring.Entry.RingId, Outcome = RingOutcomes.Dismissed },
            [userId]);
        _metrics.RingStopped(RingOutcomes.Dismissed);
        await CommitAsync();
    }

    public async Task StopRinging(string requesterId, IReadOnlyList<string> recipientIds)
    {
        EnsureMember(requesterId);
        if (S.Call is not { } call || call.FindParticipant(requesterId) is null)
        {
            throw NotInCall();
        }

        ValidateRecipients(recipientIds);
        if (recipientIds is null || recipientIds.Count == 0)
        {
            throw DmVoiceException.Validation("'recipientIds' must name at least one member.");
        }

        foreach (var userId in recipientIds.Distinct(StringComparer.Ordinal))
        {
            if (call.FindRing(userId) is { } ring)
            {
                StopRing(call, ring, RingOutcomes.Cancelled);
            }
        }

        await CommitAsync();
    }

    public Task<IReadOnlyList<CallRecord>> GetHistory(string requesterId, int limit, DateTimeOffset? before)
    {
        EnsureMember(requesterId);
        IReadOnlyList<CallRecord> page = Enumerable.Reverse(_history.State.Records)
            .Where(r => before is null || r.StartedAt < before)
            .Take(Math.Clamp(limit, 1, 100))
            .ToArray();
        return Task.FromResult(page);
    }

    public async Task EndCall(string reason)
    {
        if (S.Call is not { } call)
        {
            return;
        }

        FinishCall(call, reason);
        await CommitAsync();
    }

    public async Task ProcessDeadlines()
    {
        if (S.Call is not { } call)
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

        if (S.Call is not null && call.Participants.Count == 0 && call.EmptySince + _options.EmptyCallGrace <= now)
        {
            FinishCall(call, CallEndReasons.Ended);
        }

        await CommitAsync();
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == DeadlineReminder ? ProcessDeadlines() : Task.CompletedTask;
}
