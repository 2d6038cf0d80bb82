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

    // The join in flight, if any: reported as the user's call while it runs, so a call grain checking
    // its participants (or ringing this user) sees where the user is going, not where they were.
    private (CallContext Call, long Session)? _joining;
    private IGrainTimer? _confirmTimer;

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

    private CallContext? CurrentCall => _joining?.Call ?? State.Active;

    private long CurrentSession => _joining?.Session ?? State.Session;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var self = this.AsReference<IUserVoiceGrain>();
        _deadlineTimer = new DeadlineTimer(_clock.TimeProvider, () => self.ProcessDeadlines());
        _deadlineTimer.Schedule(State.DisconnectDeadline);
        if (State.Active is not null)
        {
            // A removal notice may have been lost with the activation that ended; check in a turn of
            // its own (a call grain may be waiting on this grain right now).
            self.ConfirmActiveCall().Ignore();
        }

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
        var call = GrainFactory.GetGrain<IDmCallGrain>(dmGroupId);
        JoinResult result;
        _joining = (target, session);
        try
        {
            result = await call.Join(UserId, request, session, Routes());
        }
        catch (Exception ex) when (ex is not DmVoiceException)
        {
            // The call may have stored the join after all (a write that timed out can still land).
            ConfirmSoon();
            throw;
        }
        finally
        {
            _joining = null;
        }

        State.Session = session;
        State.Active = target;
        TrackLiveCall(new LiveCallRef(target, result.CallId));
        if (State.Devices.Count == 0)
        {
            // Presence is leased to live devices: a join with none (over REST) holds the seat only as
            // long as the grace, unless a device connects within it.
            State.DisconnectDeadline ??= _clock.UtcNow + _options.DisconnectGrace;
        }

        try
        {
            await SaveAsync();
        }
        catch
        {
            // The call took the user but this grain could not store it: undo the join, so the failed
            // request leaves no seat behind. Should that fail too, the call finds out on its own (it
            // checks its participants with their user grains).
            await LeaveQuietlyAsync(call, LeaveReasons.Left);
            throw;
        }

        _deadlineTimer?.Schedule(State.DisconnectDeadline);

        if (previous is not null && previous != target)
        {
            try
            {
                await LeaveAsync(previous, LeaveReasons.Moved);
            }
            catch (Exception ex)
            {
                // The join stands; the old call drops the user when it next checks its participants.
                LogMoveLeaveFailed(ex, UserId, previous.Kind, previous.Id);
            }

            LogMoved(UserId, previous.Kind, previous.Id, dmGroupId);
        }

        return result;
    }

    public async Task LeaveDmCall(string dmGroupId)
    {
        Validate.Id(dmGroupId, "dmGroupId");
        var call = GrainFactory.GetGrain<IDmCallGrain>(dmGroupId);
        bool left;
        try
        {
            left = await call.Leave(UserId, LeaveReasons.Left);
        }
        catch (Exception ex) when (ex is not DmVoiceException)
        {
            // The call may have stored the leave after all: check again shortly whether it still holds the seat.
            ConfirmSoon();
            throw;
        }

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

    public Task<CallContext?> GetActiveCall() => Task.FromResult(CurrentCall);

    /// <summary>
    /// After a call failed to answer, confirms the active call a few times over the next half minute:
    /// a write that timed out at the call may still have been stored there.
    /// </summary>
    private void ConfirmSoon()
    {
        _confirmTimer?.Dispose();
        var remaining = new Queue<TimeSpan>([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(20)]);
        _confirmTimer = this.RegisterGrainTimer(
            async () =>
            {
                try
                {
                    await ConfirmActiveCall();
                }
                catch (Exception ex)
                {
                    LogConfirmFailed(ex, UserId);
                }

                if (remaining.TryDequeue(out var next))
                {
                    _confirmTimer?.Change(next, Timeout.InfiniteTimeSpan);
                }
            },
            new GrainTimerCreationOptions { DueTime = remaining.Dequeue(), Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    public async Task ConfirmActiveCall()
    {
        if (State.Active is not { Kind: CallKinds.Dm } active || _joining is not null)
        {
            return;
        }

        var session = State.Session;
        if (await GrainFactory.GetGrain<IDmCallGrain>(active.Id).HoldsSeat(UserId, session))
        {
            return;
        }

        if (State.Active == active && State.Session == session)
        {
            LogStaleActiveCall(UserId, active.Kind, active.Id);
            State.Active = null;
            State.DisconnectDeadline = null;
            await SaveAsync();
            _deadlineTimer?.Schedule(null);
        }
    }

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

    private async Task LeaveQuietlyAsync(IDmCallGrain call, string reason)
    {
        try
        {
            await call.Leave(UserId, reason);
        }
        catch (Exception ex)
        {
            LogUndoJoinFailed(ex, UserId);
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
        await _state.WriteOrDropAsync(this);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} moved from {PreviousKind}:{PreviousId} to DM {DmGroupId}")]
    private partial void LogMoved(string userId, string previousKind, string previousId, string dmGroupId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: leaving {Kind}:{Id} after moving failed; the call will drop the user when it checks")]
    private partial void LogMoveLeaveFailed(Exception exception, string userId, string kind, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: undoing a join whose state could not be stored failed; the call will drop the user when it checks")]
    private partial void LogUndoJoinFailed(Exception exception, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: confirming the active call failed; trying again shortly")]
    private partial void LogConfirmFailed(Exception exception, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId}: {Kind}:{Id} no longer holds the user's seat; forgetting it")]
    private partial void LogStaleActiveCall(string userId, string kind, string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} left {Kind}:{Id}: no device connected within the grace")]
    private partial void LogGraceExpired(string userId, string kind, string id);
}
