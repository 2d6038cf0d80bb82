using DmVoice.Grains.Events;
using DmVoice.Grains.Hosting;
using DmVoice.LiveKit;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Calls;

/// <summary>
/// One DM's call, a thin shell: it loads the state, hands each request to the rules (the shared
/// <see cref="RoomRules"/> with this DM's <see cref="DmCallRules"/>), and lets its <see cref="RoomHost"/>
/// store what changed and then publish. The only thing it does itself is ask members before a call
/// starts or rings again: whether they are busy, where their devices are and whether they may be rung.
/// </summary>
public sealed class DmCallGrain(
    [PersistentState("call", StorageNames.Default)] IPersistentState<DmCallState> state,
    [PersistentState("history", StorageNames.Default)] IPersistentState<CallHistoryState> history,
    RoomServices services,
    ILogger<DmCallGrain> logger) : Grain, IDmCallGrain, IDmCallMediaGrain, IRemindable
{
    /// <summary>How long a call's record may wait in the call state before the history is stored, and how many may wait.</summary>
    private static readonly TimeSpan HistoryFlushDelay = TimeSpan.FromSeconds(5);
    private const int MaxUnsavedRecords = 20;

    private DmCallRules _dm = null!;
    private IGrainTimer? _historyFlush;
    private MediaRules _media = null!;
    private RoomHost _host = null!;

    private RoomRules Rules => _host.Rules;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var dmGroupId = this.GetPrimaryKeyString();
        var label = $"{CallKinds.Dm} {dmGroupId}";
        _dm = new DmCallRules(dmGroupId, state.State, history.State, services.Options, services.Metrics, logger);
        if (_dm.RecoverUnsavedHistory())
        {
            ScheduleHistoryFlush();
        }

        var rules = new RoomRules(state.State, _dm, services.Options, new MediaTracker(services.LiveKitRooms is not null, RoomServices.RealNow), services.Metrics);
        _media = new MediaRules(rules, () => state.State.Known, _dm.IsMember, services.LiveKitSync, logger, label);
        var publisher = EventPublishers.For(this, services.Cluster, services.LocalGateways, services.Clock.TimeProvider, label, logger);
        _host = new RoomHost(
            this,
            GrainFactory,
            rules,
            new RoomShape(WriteAsync),
            new RoomMembers(GrainFactory, publisher, () => _dm.Here, label, logger, services.SiloStopping),
            new MediaSync(this, GrainFactory, rules, LiveKitRooms.ForDm(dmGroupId), services.LiveKitRooms, services.LiveKitSync, (user, request) => user.JoinDmCall(dmGroupId, request), _dm.IsMember, label, logger),
            services.Clock,
            services.Push,
            logger);
        await _host.ActivateAsync();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _host.Deactivate();
        if (state.State.UnsavedHistory.Count > 0 && reason.ReasonCode != DeactivationReasonCode.ApplicationError)
        {
            try
            {
                // Best effort: should it fail, the records are still in the stored call state.
                await history.WriteStateAsync(cancellationToken);
            }
            catch (Exception)
            {
                // Recovered at the next activation.
            }
        }
    }

    public Task<RoomJoin> Join(string userId, JoinRequest request, long session, GatewayRoute[] routes) =>
        _host.JoinAsync(userId, request, session, routes, (starterId, callId) => AskMembersAsync(starterId, callId, state.State.Members.Where(m => m != starterId).ToArray()));

    public Task<bool> Leave(string userId, string reason) => _host.LeaveAsync(userId, reason);

    public Task<VoiceParticipant> UpdateState(string userId, VoiceStatePatch patch, string? deviceId = null) => _host.UpdateStateAsync(userId, patch, deviceId);

    public Task<string?> RoutesChanged(string userId, GatewayRoute[] routes) => Task.FromResult(_host.RoutesChanged(userId, routes));

    public Task AskAgain(string userId)
    {
        _host.AskAgain(userId);
        return Task.CompletedTask;
    }

    public Task<HeldSeat?> GetHeldSeat(string userId) => Task.FromResult(_host.HeldSeatOf(userId));

    public Task ProcessDeadlines() => _host.ProcessDeadlinesAsync();

    public Task ReceiveReminder(string reminderName, TickStatus status) => _host.ReceiveReminderAsync(reminderName);

    public async Task<CallPresence> GetPresence(string requesterId)
    {
        _dm.EnsureMember(requesterId);

        // A deadline that passed while nothing was active (e.g. during a restart) is settled first,
        // so nobody is shown ringing after their ring has expired.
        await _host.SettleBeforeReadAsync();
        return _dm.Presence(Rules, requesterId);
    }

    public Task<IReadOnlyList<CallRecord>> GetHistory(string requesterId, int limit, DateTimeOffset? before)
    {
        _dm.EnsureMember(requesterId);
        return Task.FromResult(_dm.History(requesterId, limit, before));
    }

    public async Task<RingResult> Ring(string requesterId, IReadOnlyList<string>? recipientIds)
    {
        var targets = _dm.Rings.RingTargets(requesterId, recipientIds, _host.Now);

        // Asked again: whether each is busy now, where their devices are, and whether they may be rung.
        var answers = targets.Length == 0
            ? MemberAnswers.None
            : await AskMembersAsync(requesterId, state.State.Call!.CallId, targets);
        var result = _dm.Rings.Ring(Rules, requesterId, answers, _host.Now);
        await _host.CommitAsync();
        return result;
    }

    public async Task Decline(string userId)
    {
        _dm.Rings.Decline(Rules, userId, _host.Now);
        await _host.CommitAsync();
    }

    public async Task Dismiss(string userId)
    {
        _dm.Rings.Dismiss(Rules, userId);
        await _host.CommitIfChangedAsync();
    }

    public async Task StopRinging(string requesterId, IReadOnlyList<string> recipientIds)
    {
        _dm.Rings.StopRinging(Rules, requesterId, recipientIds);
        await _host.CommitAsync();
    }

    /// <summary>The DM's members as the group grain pushes them; members who joined it see a live call from now on (asked before anything changes).</summary>
    public async Task SyncMembers(IReadOnlyList<string> memberIds, bool isGroup)
    {
        var added = memberIds.Except(state.State.Members, StringComparer.Ordinal).ToArray();
        if (state.State.Call is { } live && added.Length > 0)
        {
            await _host.Members.AttachAsync(live.CallId, added);
        }

        _dm.SyncMembers(Rules, memberIds, isGroup, _host.Now);
        await _host.CommitAsync();
    }

    public Task<bool> MediaLeft(string userId, DateTimeOffset? mediaJoinedAt) => _host.ApplyAsync(() => _media.MediaLeft(userId, mediaJoinedAt, _host.Now));

    public Task<MediaJoinCheck> MediaJoined(string userId, DateTimeOffset? mediaJoinedAt) => _host.ApplyAsync(() => _media.MediaJoined(userId, mediaJoinedAt));

    public Task<bool> RoomFinished(DateTimeOffset? roomCreatedAt) => _host.ApplyAsync(() => _media.RoomFinished(roomCreatedAt, _host.Now));

    public Task ReconcileMedia(string callId, IReadOnlyList<MediaParticipant> inRoom) => _host.ReconcileAsync(_media, callId, inRoom);

    public Task MediaCommandsSent(IReadOnlyList<MediaCommandAttempt> attempts) => _host.ApplyAsync(() => { _media.CommandsSent(attempts); return true; });

    /// <summary>
    /// One call to each member's user grain, which the call registers with: busy? where are their devices?
    /// and may <paramref name="callerId"/> ring them (blocked, rung too often lately, do-not-disturb or a
    /// muted DM)? The user grain answers the last from its copy of the member's settings. A busy member's
    /// verdict is not used; asking it costs nothing, since the verdict is a read and rings count only once
    /// stored. A member who cannot be reached fails the request before anything changed. The user grain
    /// answers between turns, so this cannot deadlock.
    /// </summary>
    private async Task<MemberAnswers> AskMembersAsync(string callerId, string callId, string[] memberIds)
    {
        var statuses = await _host.Members.AttachAsync(callId, memberIds, new RingQuestion(callerId, this.GetPrimaryKeyString()));
        var free = _dm.Rings.FreeMembers(statuses).ToHashSet(StringComparer.Ordinal);
        return new MemberAnswers(
            statuses,
            statuses.Where(p => free.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value.Ring ?? RingVerdict.Ring, StringComparer.Ordinal));
    }

    /// <summary>
    /// A call's end is one write: its record goes into the call state (<see cref="DmCallState.UnsavedHistory"/>),
    /// and the history state is stored a few seconds later for several calls at once. When too many wait,
    /// the history goes first: a record of a call whose end then fails to be stored is replaced by the
    /// record written when the call really ends (same call id), never duplicated.
    /// </summary>
    private async Task WriteAsync(RoomOutbox outbox)
    {
        if (state.State.UnsavedHistory.Count >= MaxUnsavedRecords)
        {
            await history.WriteOrDropAsync(this);
            state.State.UnsavedHistory.Clear();
        }

        await state.WriteOrDropAsync(this);
        if (state.State.UnsavedHistory.Count > 0)
        {
            ScheduleHistoryFlush();
        }
    }

    private void ScheduleHistoryFlush()
    {
        _historyFlush ??= this.RegisterGrainTimer(
            FlushHistoryAsync,
            new GrainTimerCreationOptions { DueTime = HistoryFlushDelay, Period = Timeout.InfiniteTimeSpan });
    }

    /// <summary>
    /// Stores the history with the records waiting in the call state. The call state keeps its copy until
    /// its next write; a copy of records the history already has is harmless (recovery skips them).
    /// </summary>
    private async Task FlushHistoryAsync()
    {
        _historyFlush?.Dispose();
        _historyFlush = null;
        if (state.State.UnsavedHistory.Count == 0)
        {
            return;
        }

        await history.WriteOrDropAsync(this);
        state.State.UnsavedHistory.Clear();
    }
}
