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
    private readonly PresenceMetrics _presenceMetrics;
    private readonly CoalescedWrites<UserVoiceState> _writes;
    private UserDevices _devices = null!;
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
        PresenceMetrics presenceMetrics,
        ILogger<UserVoiceGrain> logger)
    {
        _presenceMetrics = presenceMetrics;
        _state = state;
        _clock = clock;
        _options = options.Value;
        _cluster = cluster.Value;
        _logger = logger;
        _writes = new CoalescedWrites<UserVoiceState>(this, state, _options.DeferredWriteDelay, logger);
    }

    private string UserId => this.GetPrimaryKeyString();

    private UserVoiceState State => _state.State;

    private CallContext? CurrentCall => _joining?.Call ?? State.Active;

    private long CurrentSession => _joining?.Session ?? State.Session;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Over the state as loaded: the state object is read (and replaced) after construction.
        _devices = new UserDevices(State);
        var self = this.AsReference<IUserVoiceGrain>();
        _deadlineTimer = new DeadlineTimer(_clock.TimeProvider, () => self.ProcessDeadlines(), OverdueDeadlines.DisconnectGrace);
        _deadlineTimer.Schedule(State.DisconnectDeadline);
        StartDeviceAudits();
        if (State.Active is not null)
        {
            // A removal notice may have been lost with the activation that ended; check in a turn of
            // its own (a call grain may be waiting on this grain right now).
            self.ConfirmActiveCall().Ignore();
        }

        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _deadlineTimer?.Dispose();
        _auditTimer?.Dispose();

        // Index changes not stored yet (best effort: after a crash the live calls register again).
        await _writes.FlushOnDeactivateAsync();
    }

    public async Task<JoinResult> JoinDmCall(string dmGroupId, JoinRequest request)
    {
        Validate.Id(dmGroupId, "dmGroupId");
        var joined = await JoinAsync(CallContext.Dm(dmGroupId), request);
        return new JoinResult(dmGroupId, joined.CallId, joined.Started, joined.User, joined.Version, joined.NotRung);
    }

    public async Task<ChannelJoinResult> JoinChannel(string channelId, JoinRequest request)
    {
        Validate.Id(channelId, "channelId");
        var joined = await JoinAsync(CallContext.Channel(channelId), request);
        return new ChannelJoinResult(channelId, joined.CallId, joined.Started, joined.User, joined.Version);
    }

    public Task LeaveDmCall(string dmGroupId, string? deviceId = null) =>
        LeaveAsync(CallContext.Dm(Validate.Id(dmGroupId, "dmGroupId")), deviceId);

    public Task LeaveChannel(string channelId, string? deviceId = null) =>
        LeaveAsync(CallContext.Channel(Validate.Id(channelId, "channelId")), deviceId);

    /// <summary>
    /// Joins a DM's call or a channel's voice. Joining a room while in another first joins the new one
    /// and then leaves the old one (<c>moved</c>), whatever the kinds: a refused join costs nothing.
    /// </summary>
    private async Task<RoomJoin> JoinAsync(CallContext target, JoinRequest request)
    {
        Validate.Id(UserId, "userId");
        ArgumentNullException.ThrowIfNull(request);
        var previous = State.Active;

        // Join first: a join that is refused (not a member, bad input, a full channel) must not cost the current call.
        var session = State.Session + 1;
        var room = RoomOf(target);
        RoomJoin result;
        _joining = (target, session);
        try
        {
            result = await room.Join(UserId, request, session, _devices.Routes);
        }
        catch (Exception ex) when (ex is not DmVoiceException)
        {
            // The room may have stored the join after all (a write that timed out can still land).
            ConfirmSoon();
            throw;
        }
        finally
        {
            _joining = null;
        }

        State.Session = session;
        State.Active = target;
        if (previous != target || request.DeviceId is not null)
        {
            // A join that names no device into the room the user is in leaves the seat where it is.
            State.ActiveDevice = request.DeviceId;
            State.ActiveDeviceKind = result.User.DeviceKind;
        }

        TrackLiveCall(new LiveCallRef(target, result.CallId));

        // Presence is leased to the seat's device: a join from a device that is not connected (over
        // REST) holds the seat only as long as the grace, unless the device connects within it.
        RefreshGrace();

        try
        {
            await SaveAsync();
        }
        catch
        {
            // The room took the user but this grain could not store it: undo the join, so the failed
            // request leaves no seat behind. Should that fail too, the room finds out on its own (it
            // checks its participants with their user grains).
            await LeaveQuietlyAsync(room, LeaveReasons.Left);
            throw;
        }

        _deadlineTimer?.Schedule(State.DisconnectDeadline);

        if (previous is not null && previous != target)
        {
            try
            {
                await LeaveRoomAsync(previous, LeaveReasons.Moved);
            }
            catch (Exception ex)
            {
                // The join stands; the old room drops the user when it next checks its participants.
                LogMoveLeaveFailed(ex, UserId, previous.Kind, previous.Id);
            }

            LogMoved(UserId, previous.Kind, previous.Id, target.Kind, target.Id);
        }

        return result;
    }

    private async Task LeaveAsync(CallContext target, string? deviceId)
    {
        if (deviceId is not null)
        {
            Validate.Id(deviceId, "deviceId");
            if (State.Active == target && State.ActiveDevice is { } seat && seat != deviceId)
            {
                // The seat moved to another device: the one it left must not take the user out.
                throw new DmVoiceException(ErrorCodes.NotInCall, "Your voice session in this call is on another of your devices.");
            }
        }

        var room = RoomOf(target);
        bool left;
        try
        {
            left = await room.Leave(UserId, LeaveReasons.Left);
        }
        catch (Exception ex) when (ex is not DmVoiceException)
        {
            // The room may have stored the leave after all: check again shortly whether it still holds the seat.
            ConfirmSoon();
            throw;
        }

        if (State.Active == target)
        {
            // Stored with the next write, or within the deferred-write delay: the room has stored the
            // leave, and a user grain that comes back with this call still set confirms its seat with
            // the room at activation and lets go (ConfirmActiveCall), so the one-call rule holds either way.
            ForgetSeat();
            _writes.Changed();
            _deadlineTimer?.Schedule(null);
        }

        if (!left)
        {
            // A member outside the call is not_in_call; for anyone else the room must look missing,
            // and its membership check says so (dm_not_found, channel_not_found).
            await EnsureVisibleAsync(target);
            throw new DmVoiceException(ErrorCodes.NotInCall, "You are not in this call.");
        }
    }

    private Task EnsureVisibleAsync(CallContext call) => call.Kind == CallKinds.Channel
        ? GrainFactory.GetGrain<IVoiceChannelGrain>(call.Id).GetPresence(UserId)
        : GrainFactory.GetGrain<IDmCallGrain>(call.Id).GetPresence(UserId);

    /// <summary>The room grain behind a call context, for the calls every kind of room answers.</summary>
    private IVoiceRoomGrain RoomOf(CallContext call) => call.Kind switch
    {
        CallKinds.Dm => GrainFactory.GetGrain<IDmCallGrain>(call.Id),
        CallKinds.Channel => GrainFactory.GetGrain<IVoiceChannelGrain>(call.Id),
        _ => throw new ArgumentOutOfRangeException(nameof(call), call.Kind, "Unknown kind of call"),
    };

    private void ForgetSeat()
    {
        State.Active = null;
        State.ActiveDevice = null;
        State.ActiveDeviceKind = null;
        State.DisconnectDeadline = null;
    }

    public Task<VoiceSeat?> GetSeat() =>
        Task.FromResult(State.Active is { } active ? new VoiceSeat(active, State.ActiveDevice, State.ActiveDeviceKind) : null);

    public Task<GatewayRoute[]> GetRoutes() => Task.FromResult(_devices.Routes);

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
        if (State.Active is not { } active || _joining is not null)
        {
            return;
        }

        var session = State.Session;
        var held = await RoomOf(active).GetHeldSeat(UserId);
        if (held?.Session == session || State.Active != active || State.Session != session)
        {
            return;
        }

        if (held is not null && held.Session > session)
        {
            // Only this grain hands out sessions: a later one in the room the user is in comes from a
            // join of ours into the same room that failed to answer (a retry, a reload, a second
            // device) but was stored there. The user is still in the call, on the seat as stored.
            LogAdoptedSeat(UserId, active.Kind, active.Id, held.Session);
            State.Session = held.Session;
            State.ActiveDevice = held.DeviceId;
            State.ActiveDeviceKind = held.DeviceKind;
            RefreshGrace();
            await SaveAsync();
            return;
        }

        LogStaleActiveCall(UserId, active.Kind, active.Id);
        ForgetSeat();
        await SaveAsync();
        _deadlineTimer?.Schedule(null);
    }

    public async Task OnRemovedFromCall(CallContext call, long session)
    {
        if (State.Active != call || State.Session != session)
        {
            return;
        }

        ForgetSeat();
        await SaveAsync();
        _deadlineTimer?.Schedule(null);
    }

    public async Task ProcessDeadlines()
    {
        if (State.DisconnectDeadline is not { } deadline || deadline > _clock.UtcNow)
        {
            _deadlineTimer?.Schedule(State.DisconnectDeadline);
            return;
        }

        // The grace runs only while the seat's device is away (a seat that moves to a connected device
        // clears it), so its expiry always concerns the device that holds the seat.
        var active = State.Active;
        ForgetSeat();
        await SaveAsync();
        if (active is not null)
        {
            LogGraceExpired(UserId, active.Kind, active.Id);
            await LeaveRoomAsync(active, LeaveReasons.Disconnected);
        }
    }

    private async Task LeaveQuietlyAsync(IVoiceRoomGrain call, string reason)
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

    private async Task LeaveRoomAsync(CallContext call, string reason) => await RoomOf(call).Leave(UserId, reason);

    /// <summary>Writes the state, including index changes not stored yet (see <see cref="CoalescedWrites{T}"/>).</summary>
    private Task SaveAsync() => _writes.WriteAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} moved from {PreviousKind}:{PreviousId} to {Kind}:{Id}")]
    private partial void LogMoved(string userId, string previousKind, string previousId, string kind, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: leaving {Kind}:{Id} after moving failed; the call will drop the user when it checks")]
    private partial void LogMoveLeaveFailed(Exception exception, string userId, string kind, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: undoing a join whose state could not be stored failed; the call will drop the user when it checks")]
    private partial void LogUndoJoinFailed(Exception exception, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: confirming the active call failed; trying again shortly")]
    private partial void LogConfirmFailed(Exception exception, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId}: {Kind}:{Id} stored a later join of the user's (session {Session}) that failed to answer; keeping the seat as stored")]
    private partial void LogAdoptedSeat(string userId, string kind, string id, long session);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId}: {Kind}:{Id} no longer holds the user's seat; forgetting it")]
    private partial void LogStaleActiveCall(string userId, string kind, string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} left {Kind}:{Id}: no device connected within the grace")]
    private partial void LogGraceExpired(string userId, string kind, string id);
}
