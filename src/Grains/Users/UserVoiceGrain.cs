using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Users;

[GenerateSerializer]
[Alias("DmVoice.UserVoiceState")]
public sealed class UserVoiceState
{
    [Id(0)] public CallContext? Active { get; set; }

    /// <summary>Counts joins; a call grain's "you were removed" only applies to the session it names.</summary>
    [Id(1)] public long Session { get; set; }

    /// <summary>Open SignalR connections across all gateways.</summary>
    [Id(2)] public HashSet<string> Connections { get; set; } = new(StringComparer.Ordinal);

    /// <summary>When the user leaves their call because no device is connected any more.</summary>
    [Id(3)] public DateTimeOffset? DisconnectDeadline { get; set; }
}

/// <summary>
/// Enforces one call per user. Calls go one way, user → call; a call grain answers back only with
/// one-way notifications and interleaving reads, so the two can never wait on each other.
/// Persistence is ETag-checked: if a duplicate activation ever wrote first, this write fails and
/// the activation is dropped instead of overwriting the truth.
/// </summary>
public sealed class UserVoiceGrain(
    [PersistentState("voice", StorageNames.Default)] IPersistentState<UserVoiceState> state,
    CallClock clock,
    IOptions<CallOptions> options,
    ILogger<UserVoiceGrain> logger) : Grain, IUserVoiceGrain
{
    private DeadlineTimer? _deadlineTimer;

    private string UserId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var self = this.AsReference<IUserVoiceGrain>();
        _deadlineTimer = new DeadlineTimer(clock, () => self.ProcessDeadlines());
        _deadlineTimer.Schedule(state.State.DisconnectDeadline);
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
        var previous = state.State.Active;
        var target = CallContext.Dm(dmGroupId);

        // Join first: a join that is refused (not a member, bad input) must not cost the current call.
        var session = state.State.Session + 1;
        var result = await GrainFactory.GetGrain<IDmCallGrain>(dmGroupId).Join(UserId, request, session);

        state.State.Session = session;
        state.State.Active = target;
        await state.WriteStateAsync();

        if (previous is not null && previous != target)
        {
            await LeaveAsync(previous, LeaveReasons.Moved);
            logger.LogInformation("User {UserId} moved from {PreviousKind}:{PreviousId} to DM {DmGroupId}", UserId, previous.Kind, previous.Id, dmGroupId);
        }

        return result;
    }

    public async Task LeaveDmCall(string dmGroupId)
    {
        Validate.Id(dmGroupId, "dmGroupId");
        var call = GrainFactory.GetGrain<IDmCallGrain>(dmGroupId);
        var left = await call.Leave(UserId, LeaveReasons.Left);
        if (state.State.Active == CallContext.Dm(dmGroupId))
        {
            state.State.Active = null;
            state.State.DisconnectDeadline = null;
            await state.WriteStateAsync();
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

    public Task<CallContext?> GetActiveCall() => Task.FromResult(state.State.Active);

    public async Task OnRemovedFromCall(CallContext call, long session)
    {
        if (state.State.Active != call || state.State.Session != session)
        {
            return;
        }

        state.State.Active = null;
        state.State.DisconnectDeadline = null;
        await state.WriteStateAsync();
        _deadlineTimer?.Schedule(null);
    }

    public async Task ConnectionOpened(string connectionId)
    {
        Validate.Id(connectionId, "connectionId");
        var changed = state.State.Connections.Add(connectionId);
        if (state.State.DisconnectDeadline is not null)
        {
            state.State.DisconnectDeadline = null;
            changed = true;
            _deadlineTimer?.Schedule(null);
        }

        if (changed)
        {
            await state.WriteStateAsync();
        }
    }

    public async Task ConnectionClosed(string connectionId)
    {
        if (!state.State.Connections.Remove(connectionId))
        {
            return;
        }

        if (state.State.Connections.Count == 0 && state.State.Active is not null)
        {
            state.State.DisconnectDeadline = clock.UtcNow + options.Value.DisconnectGrace;
            _deadlineTimer?.Schedule(state.State.DisconnectDeadline);
        }

        await state.WriteStateAsync();
    }

    public async Task ProcessDeadlines()
    {
        if (state.State.DisconnectDeadline is not { } deadline || deadline > clock.UtcNow)
        {
            _deadlineTimer?.Schedule(state.State.DisconnectDeadline);
            return;
        }

        state.State.DisconnectDeadline = null;
        var active = state.State.Active;
        state.State.Active = null;
        await state.WriteStateAsync();
        if (active is not null)
        {
            logger.LogInformation("User {UserId} left {Kind}:{Id}: no device connected within the grace", UserId, active.Kind, active.Id);
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
}
