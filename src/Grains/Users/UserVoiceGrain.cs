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
/// overwriting the truth. The grain is a shell: the rules are <see cref="UserSeat"/>, <see cref="UserDevices"/>
/// and <see cref="LiveCallIndex"/>; the gateways' side is <see cref="GatewayPresence"/>, telling the live
/// calls is <see cref="LiveCallNotifier"/>, confirming a seat after a room failed to answer is
/// <see cref="SeatConfirmRetries"/>, and answering whether a call may ring the user is <see cref="RingAnswers"/>.
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
    private UserSeat _seat = null!;
    private LiveCallIndex _liveCalls = null!;
    private GatewayPresence _presence = null!;
    private LiveCallNotifier _liveCallNotifier = null!;
    private SeatConfirmRetries _confirmRetries = null!;
    private DeadlineTimer? _deadlineTimer;
    private DmActivityHandOver _dmActivity = null!;
    private RingAnswers _rings = null!;

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
        _writes = new CoalescedWrites<UserVoiceState>(this, state, _options.DeferredWriteDelay, logger, () => _liveCallNotifier.Writing());
    }

    private string UserId => this.GetPrimaryKeyString();

    private UserVoiceState State => _state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Over the state as loaded: the state object is read (and replaced) after construction.
        _devices = new UserDevices(State);
        _seat = new UserSeat(State);
        _liveCalls = new LiveCallIndex(State);
        var self = this.AsReference<IUserVoiceGrain>();
        _presence = new GatewayPresence(GrainFactory, UserId, State, _devices, _options, _presenceMetrics, ForgetDevicesAsync, () => self.ProcessDeadlines(), _logger);
        _confirmRetries = new SeatConfirmRetries(this, ConfirmActiveCall, UserId, _logger);
        _liveCallNotifier = new LiveCallNotifier(GrainFactory, UserId, _liveCalls, _devices, _cluster.UsesStreams, _writes, _logger);
        _deadlineTimer = new DeadlineTimer(_clock.TimeProvider, () => self.ProcessDeadlines(), OverdueDeadlines.DisconnectGrace);
        _deadlineTimer.Schedule(State.DisconnectDeadline);
        _dmActivity = new DmActivityHandOver(GrainFactory, UserId, State, _options.DirectoryOrderWriteDelay, () => self.ProcessDeadlines(), _logger);
        _dmActivity.Start();
        _rings = new RingAnswers(() => GrainFactory.GetGrain<IUserSettingsGrain>(UserId).GetRingSettings(), _clock, _options);
        _presence.StartAudits();
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
        _dmActivity?.Dispose();
        _presence?.StopAudits();

        // Index changes and DM activity not stored yet (best effort: after a crash the live calls register
        // again, and the DMs show at their previous places). Held activity waits in this state for the next
        // activation rather than for a DM list, which a stopping silo may not be able to place.
        if (_dmActivity?.Holds == true)
        {
            _writes.Changed(withinDelay: false);
        }

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
        var room = RoomOf(target);
        var session = _seat.BeginJoin(target);
        RoomJoin result;
        try
        {
            result = await room.Join(UserId, request, session, _devices.Routes);
        }
        catch (Exception ex) when (ex is not DmVoiceException)
        {
            // The room may have stored the join after all (a write that timed out can still land).
            _confirmRetries.Start();
            throw;
        }
        finally
        {
            _seat.EndJoin();
        }

        _seat.Joined(target, session, request.DeviceId, result.User.DeviceKind);
        _liveCalls.Track(new LiveCallRef(target, result.CallId));

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
        _presence.EnsureAudits();

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
        }

        _seat.EnsureMayLeave(target, deviceId);

        var room = RoomOf(target);
        bool left;
        try
        {
            left = await room.Leave(UserId, LeaveReasons.Left);
        }
        catch (Exception ex) when (ex is not DmVoiceException)
        {
            // The room may have stored the leave after all: check again shortly whether it still holds the seat.
            _confirmRetries.Start();
            throw;
        }

        if (_seat.Left(target))
        {
            // Stored with the next write, or within the deferred-write delay: the room has stored the
            // leave, and a user grain that comes back with this call still set confirms its seat with
            // the room at activation and lets go (ConfirmActiveCall), so the one-call rule holds either way.
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
    private IVoiceRoomGrain RoomOf(CallContext call) => GrainFactory.RoomOf(call);

    public Task<VoiceSeat?> GetSeat() => Task.FromResult(_seat.Seat);

    public Task<GatewayRoute[]> GetRoutes() => Task.FromResult(_devices.Routes);

    /// <summary>Confirms the seat with its room, which settles it (<see cref="UserSeat.Confirm"/>): kept, adopted or forgotten.</summary>
    public async Task ConfirmActiveCall()
    {
        if (_seat.ToConfirm is not { } active)
        {
            return;
        }

        var session = State.Session;
        var held = await RoomOf(active).GetHeldSeat(UserId);
        switch (_seat.Confirm(active, session, held))
        {
            case SeatConfirmation.Adopted:
                LogAdoptedSeat(UserId, active.Kind, active.Id, State.Session);
                RefreshGrace();
                await SaveAsync();
                _presence.EnsureAudits();
                break;
            case SeatConfirmation.Forgotten:
                LogStaleActiveCall(UserId, active.Kind, active.Id);
                await SaveAsync();
                _deadlineTimer?.Schedule(null);
                break;
        }
    }

    public async Task OnRemovedFromCall(CallContext call, long session)
    {
        if (_seat.Removed(call, session))
        {
            await SaveAsync();
            _deadlineTimer?.Schedule(null);
        }
    }

    public async Task ProcessDeadlines()
    {
        await _presence.AuditIfDueAsync();
        await _dmActivity.HandOverIfDueAsync();

        if (!_seat.GraceOver(_clock.UtcNow))
        {
            _deadlineTimer?.Schedule(State.DisconnectDeadline);
            return;
        }

        // The grace runs only while the seat's device is away (a seat that moves to a connected device
        // clears it), so its expiry always concerns the device that holds the seat.
        var active = State.Active;
        _seat.Forget();
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

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId}: {Kind}:{Id} stored a later join of the user's (session {Session}) that failed to answer; keeping the seat as stored")]
    private partial void LogAdoptedSeat(string userId, string kind, string id, long session);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId}: {Kind}:{Id} no longer holds the user's seat; forgetting it")]
    private partial void LogStaleActiveCall(string userId, string kind, string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} left {Kind}:{Id}: no device connected within the grace")]
    private partial void LogGraceExpired(string userId, string kind, string id);
}
