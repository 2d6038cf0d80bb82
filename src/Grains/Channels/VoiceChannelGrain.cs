using DmVoice.Grains.Events;
using DmVoice.Grains.Hosting;
using DmVoice.LiveKit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Channels;

/// <summary>
/// A voice channel: a standing room with an owner, an access list of up to
/// <see cref="ChannelLimits.MaxMembers"/> and a user limit, and no ringing or history. Its voice follows
/// the rules every voice room shares (<see cref="VoiceRoomGrain"/>). The access list lives in the same
/// grain as the voice, so losing access and leaving the voice are one write. Beside this file: the
/// access list and its owner's changes (<c>.Access.cs</c>), and each member's list of channels kept up
/// to date (<c>.Directory.cs</c>).
/// </summary>
public sealed partial class VoiceChannelGrain : VoiceRoomGrain, IVoiceChannelGrain, IVoiceChannelMediaGrain
{
    private readonly IPersistentState<VoiceChannelState> _state;
    private readonly ILogger<VoiceChannelGrain> _logger;

    public VoiceChannelGrain(
        [PersistentState("channel", StorageNames.Default)] IPersistentState<VoiceChannelState> state,
        CallClock clock,
        IOptions<CallOptions> options,
        IOptions<DmVoiceClusterOptions> cluster,
        CallMetrics metrics,
        LocalGateways localGateways,
        ILogger<VoiceChannelGrain> logger)
        : base(clock, options.Value, cluster.Value, metrics, localGateways, logger)
    {
        _state = state;
        _logger = logger;
    }

    private string ChannelId => this.GetPrimaryKeyString();

    private VoiceChannelState State => _state.State;

    protected override IVoiceRoomState RoomState => State;

    protected override CallContext Here => CallContext.Channel(ChannelId);

    protected override string MediaRoomName => LiveKitRooms.ForChannel(ChannelId);

    protected override Func<IUserVoiceGrain, JoinRequest, Task> MediaJoin
    {
        get
        {
            var channelId = ChannelId;
            return (user, request) => user.JoinChannel(channelId, request);
        }
    }

    public async Task<ChannelPresence> GetPresence(string requesterId)
    {
        EnsureMember(requesterId);
        if (NextDeadline() <= Clock.UtcNow)
        {
            // The empty grace ran out while nothing was active: settle it before answering.
            await ProcessDeadlines();
        }

        return State.Call is { } live
            ? new ChannelPresence(ChannelId, live.CallId, live.StartedAt, ParticipantsOf(live), State.UserLimit, State.Version)
            : new ChannelPresence(ChannelId, null, null, [], State.UserLimit, State.Version);
    }

    protected override void EnsureMember(string userId)
    {
        Validate.Id(userId, "userId");
        if (!IsMember(userId))
        {
            throw DmVoiceException.ChannelNotFound(ChannelId);
        }
    }

    protected override bool IsMember(string userId) => State.Exists && State.Members.Contains(userId);

    protected override bool RoomExists => State.Exists;

    /// <summary>
    /// The channel goes live: every member with access hears of it, and where their devices are. A
    /// member who cannot be reached does not hold up the join (a channel has no rings that need their
    /// answer): the member check tries them again within seconds.
    /// </summary>
    protected override async Task<IReadOnlyCollection<string>> StartLiveAsync(string starterId)
    {
        var callId = Guid.NewGuid().ToString("N");
        var others = State.Members.Where(m => m != starterId).ToArray();
        var registered = await AskMembersAsync(callId, others);
        State.Call = new LiveChannelState { CallId = callId, StartedAt = Clock.UtcNow };
        LogLive(ChannelId, callId, starterId, registered.Count, others.Length);
        return registered.Keys.ToArray();
    }

    protected override void EnsureRoomForOneMore(ILiveRoomState live)
    {
        if (State.UserLimit > 0 && live.Participants.Count >= State.UserLimit)
        {
            throw new DmVoiceException(ErrorCodes.ChannelFull, $"This channel holds at most {State.UserLimit} in voice.");
        }
    }

    protected override IReadOnlyList<NotRungEntry>? OnParticipantJoined(VoiceParticipant participant, bool started, DateTimeOffset now)
    {
        Emit(v => JoinedEvent(State.Call!.CallId, v, participant));
        return null;
    }

    protected override void OnEmptyGraceOver(ILiveRoomState live) => CloseLive(live, LeaveReasons.CallEnded);

    protected override void OnMediaRoomFinished(ILiveRoomState live) => CloseLive(live, LeaveReasons.CallEnded);

    protected override VoiceEvent JoinedEvent(string callId, long version, VoiceParticipant user) =>
        new ChannelUserJoinedEvent { ChannelId = ChannelId, CallId = callId, Version = version, User = user };

    protected override VoiceEvent LeftEvent(string callId, long version, string userId, string reason) =>
        new ChannelUserLeftEvent { ChannelId = ChannelId, CallId = callId, Version = version, UserId = userId, Reason = reason };

    protected override VoiceEvent UpdatedEvent(string callId, long version, VoiceParticipant user) =>
        new ChannelUserUpdatedEvent { ChannelId = ChannelId, CallId = callId, Version = version, User = user };

    protected override VoiceEvent SeatMovedEvent(string callId, long version, VoiceParticipant user, string deviceId, string? previousDeviceId) =>
        new ChannelSessionMovedEvent { ChannelId = ChannelId, CallId = callId, Version = version, User = user, DeviceId = deviceId, PreviousDeviceId = previousDeviceId };

    protected override Task WriteStateAsync() => _state.WriteOrDropAsync(this);

    private VoiceChannel ToDto() =>
        new(ChannelId, State.Name, State.OwnerId, State.Members.ToArray(), State.UserLimit, State.CreatedAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Channel {ChannelId} went live ({CallId}) with {UserId}; {Reached} of {Members} other members reached")]
    private partial void LogLive(string channelId, string callId, string userId, int reached, int members);
}
