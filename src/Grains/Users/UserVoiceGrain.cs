using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Users;

/// <summary>
/// A user's voice presence: the one call they are in, their devices and gateways, and the live calls
/// they can see. Calls go one way, user → call; a call grain answers back only with one-way notices
/// and interleaving reads, so the two can never wait on each other. Persistence is ETag-checked: if a
/// duplicate activation ever wrote first, this write fails and the activation is dropped instead of
/// overwriting the truth.
/// </summary>
public sealed partial class UserVoiceGrain : Grain, IUserVoiceGrain
{
    private readonly IPersistentState<UserVoiceState> _state;
    private readonly CallClock _clock;
    private readonly CallOptions _options;
    private readonly DmVoiceClusterOptions _cluster;
    private readonly ILogger<UserVoiceGrain> _logger;
    private DeadlineTimer? _deadlineTimer;

    public UserVoiceGrain(
        [PersistentState("voice", StorageNames.Default)] IPersistentState<UserVoiceState> state,
        CallClock clock,
        IOptions<CallOptions> options,
        IOptions<DmVoiceClusterOptions> cluster,
        ILogger<UserVoiceGrain> logger)
    {
        _state = state;
        _clock = clock;
        _options = options.Value;
        _cluster = cluster.Value;
        _logger = logger;
    }

    private string UserId => this.GetPrimaryKeyString();

    private UserVoiceState State => _state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var self = this.AsReference<IUserVoiceGrain>();
        _deadlineTimer = new DeadlineTimer(_clock.TimeProvider, () => self.ProcessDeadlines());
        _deadlineTimer.Schedule(State.DisconnectDeadline);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _deadlineTimer?.Dispose();
        return Task.CompletedTask;
    }

    public async Task<JoinResult> JoinDmCall(string dmGroupId, JoinRequest request)
    {
        Validate.Id(UserId, "userId");
        Validate.Id(dmGroupId, "dmGroupId");
        var previous = State.Active;
        var target = CallContext.Dm(dmGroupId);

        // Join first: a join that is refused (not a member, bad input) must not cost the current call.
        var session = State.Session + 1;
        var result = await GrainFactory.GetGrain<IDmCallGrain>(dmGroupId).Join(UserId, request, session, Routes());

        State.Session = session;
        State.Active = target;
        TrackLiveCall(new LiveCallRef(target, result.CallId));
        if (State.Devices.Count == 0)
        {
            // Presence is leased to live devices: a join with none (over REST) holds the seat only as
            // long as the grace, unless a device connects within it.
            State.DisconnectDeadline ??= _clock.UtcNow + _options.DisconnectGrace;
        }

        await SaveAsync();
        _deadlineTimer?.Schedule(State.DisconnectDeadline);

        if (previous is not null && previous != target)
        {
            await LeaveAsync(previous, LeaveReasons.Moved);
            LogMoved(UserId, previous.Kind, previous.Id, dmGroupId);
        }

        return result;
    }

    public async Task LeaveDmCall(string dmGroupId)
    {
        Validate.Id(dmGroupId, "dmGroupId");
        var call = GrainFactory.GetGrain<IDmCallGrain>(dmGroupId);
        var left = await call.Leave(UserId, LeaveReasons.Left);
        if (State.Active == CallContext.Dm(dmGroupId))
        {
            State.Active = null;
            State.DisconnectDeadline = null;
            await SaveAsync();
            _deadlineTimer?.Schedule(null);
        }

        if (!left)
        {
            // A member outside the call is not_in_call; for anyone else the DM must look missing,
            // and the call grain's membership check says so (it throws dm_not_found).
            await call.GetPresence(UserId);
            throw new DmVoiceException(ErrorCodes.NotInCall, "You are not in this DM's call.");
        }
    }

    public Task<CallContext?> GetActiveCall() => Task.FromResult(State.Active);

    public async Task OnRemovedFromCall(CallContext call, long session)
    {
        if (State.Active != call || State.Session != session)
        {
            return;
        }

        State.Active = null;
        State.DisconnectDeadline = null;
        await SaveAsync();
        _deadlineTimer?.Schedule(null);
    }

    public async Task ProcessDeadlines()
    {
        if (State.DisconnectDeadline is not { } deadline || deadline > _clock.UtcNow)
        {
            // Nothing due: this turn only saves what interleaving calls changed.
            if (_unsaved)
            {
                await SaveAsync();
            }

            _deadlineTimer?.Schedule(State.DisconnectDeadline);
            return;
        }

        State.DisconnectDeadline = null;
        var active = State.Active;
        State.Active = null;
        await SaveAsync();
        if (active is not null)
        {
            LogGraceExpired(UserId, active.Kind, active.Id);
            await LeaveAsync(active, LeaveReasons.Disconnected);
        }
    }

    private async Task LeaveAsync(CallContext call, string reason)
    {
        if (call.Kind == CallKinds.Dm)
        {
            await GrainFactory.GetGrain<IDmCallGrain>(call.Id).Leave(UserId, reason);
        }
    }

    /// <summary>Writes the state, including what interleaving calls changed since the last write.</summary>
    private async Task SaveAsync()
    {
        _unsaved = false;
        await _state.WriteStateAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} moved from {PreviousKind}:{PreviousId} to DM {DmGroupId}")]
    private partial void LogMoved(string userId, string previousKind, string previousId, string dmGroupId);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} left {Kind}:{Id}: no device connected within the grace")]
    private partial void LogGraceExpired(string userId, string kind, string id);
}
