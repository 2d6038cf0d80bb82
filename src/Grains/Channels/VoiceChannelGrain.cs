using DmVoice.Grains.Events;
using DmVoice.Grains.Hosting;
using DmVoice.LiveKit;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Channels;

/// <summary>
/// A voice channel: a standing room with an owner, an access list of up to
/// <see cref="ChannelLimits.MaxMembers"/> and a user limit, and no ringing or history. Its voice is the
/// shared room rules (<see cref="RoomRules"/> with <see cref="ChannelRules"/>) run by a
/// <see cref="RoomHost"/>, as a DM's call is. The access list lives in the same grain as the voice, so
/// losing access and leaving the voice are one write. The rules of the channel itself, its access list
/// and its invites are <see cref="ChannelAccess"/>'s. Beside this file: the owner's and members' changes
/// (<c>.Access.cs</c>), invites (<c>.Invites.cs</c>), and each member's list of channels kept up to date
/// (<c>.Directory.cs</c>).
/// </summary>
public sealed partial class VoiceChannelGrain(
    [PersistentState("channel", StorageNames.Default)] IPersistentState<VoiceChannelState> state,
    RoomServices services,
    ILogger<VoiceChannelGrain> logger) : Grain, IVoiceChannelGrain, IVoiceChannelMediaGrain, IRemindable
{
    private ChannelRules _channel = null!;
    private ChannelAccess _access = null!;
    private MediaRules _media = null!;
    private RoomHost _host = null!;

    private string ChannelId => this.GetPrimaryKeyString();

    private VoiceChannelState State => state.State;

    private RoomRules Rules => _host.Rules;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var channelId = ChannelId;
        var label = $"{CallKinds.Channel} {channelId}";
        _channel = new ChannelRules(channelId, state.State);
        _access = new ChannelAccess(channelId, state.State, _channel);
        var rules = new RoomRules(state.State, _channel, services.Options, new MediaTracker(services.LiveKitRooms is not null, RoomServices.RealNow), services.Metrics);
        _media = new MediaRules(rules, () => state.State.Exists, _channel.IsMember, services.LiveKitSync, logger, label);
        var publisher = EventPublishers.For(this, services.Cluster, services.LocalGateways, services.Clock.TimeProvider, label, logger);
        _host = new RoomHost(
            this,
            GrainFactory,
            rules,
            new RoomShape(_ => state.WriteOrDropAsync(this), () => OwesOwnWork, PropagateDirectoryAsync),
            new RoomMembers(GrainFactory, publisher, () => _channel.Here, label, logger, services.SiloStopping),
            new MediaSync(this, GrainFactory, rules, LiveKitRooms.ForChannel(channelId), services.LiveKitRooms, services.LiveKitSync, (user, request) => user.JoinChannel(channelId, request), _channel.IsMember, label, logger),
            services.Clock,
            push: null,
            logger);
        await _host.ActivateAsync();
        if (OwesOwnWork)
        {
            Directory.ScheduleSoon();
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _host.Deactivate();
        return Task.CompletedTask;
    }

    public Task<RoomJoin> Join(string userId, JoinRequest request, long session, GatewayRoute[] routes) =>
        _host.JoinAsync(userId, request, session, routes, AskMembersBeforeLiveAsync);

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

    public async Task<ChannelPresence> GetPresence(string requesterId)
    {
        _channel.EnsureMember(requesterId);

        // The empty grace ran out while nothing was active: settle it before answering.
        await _host.SettleBeforeReadAsync();
        return _channel.Presence(Rules);
    }

    public Task<bool> MediaLeft(string userId, DateTimeOffset? mediaJoinedAt) => _host.ApplyAsync(() => _media.MediaLeft(userId, mediaJoinedAt, _host.Now));

    public Task<MediaJoinCheck> MediaJoined(string userId, DateTimeOffset? mediaJoinedAt) => _host.ApplyAsync(() => _media.MediaJoined(userId, mediaJoinedAt));

    public Task<bool> RoomFinished(DateTimeOffset? roomCreatedAt) => _host.ApplyAsync(() => _media.RoomFinished(roomCreatedAt, _host.Now));

    public Task ReconcileMedia(string callId, IReadOnlyList<MediaParticipant> inRoom) => _host.ReconcileAsync(_media, callId, inRoom);

    public Task MediaCommandsSent(IReadOnlyList<MediaCommandAttempt> attempts) => _host.ApplyAsync(() => { _media.CommandsSent(attempts); return true; });

    /// <summary>
    /// The channel goes live: every member with access hears of it, and where their devices are. A
    /// member who cannot be reached does not hold up the join (a channel has no rings that need their
    /// answer): the member check tries them again within seconds.
    /// </summary>
    private async Task<MemberAnswers> AskMembersBeforeLiveAsync(string starterId, string callId)
    {
        var others = State.Members.Where(m => m != starterId).ToArray();
        var statuses = await _host.Members.AskAsync(callId, others);
        LogLive(ChannelId, callId, starterId, statuses.Count, others.Length);
        return MemberAnswers.None with { Statuses = statuses };
    }

    private VoiceChannel ToDto() => _access.Describe();

    [LoggerMessage(Level = LogLevel.Information, Message = "Channel {ChannelId} went live ({CallId}) with {UserId}; {Reached} of {Members} other members reached")]
    private partial void LogLive(string channelId, string callId, string userId, int reached, int members);
}
