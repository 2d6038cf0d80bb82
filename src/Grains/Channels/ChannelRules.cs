namespace DmVoice.Grains.Channels;

/// <summary>
/// What only a voice channel's voice has, as the room kind the shared rules consult: a user limit, no
/// rings and no history; it simply closes when it ends. Plain C#.
/// </summary>
public sealed class ChannelRules(string channelId, VoiceChannelState state) : IRoomKind
{
    public CallContext Here { get; } = CallContext.Channel(channelId);

    public RoomEvents Events { get; } = new(
        (callId, v, user) => new ChannelUserJoinedEvent { ChannelId = channelId, CallId = callId, Version = v, User = user },
        (callId, v, userId, reason) => new ChannelUserLeftEvent { ChannelId = channelId, CallId = callId, Version = v, UserId = userId, Reason = reason },
        (callId, v, user) => new ChannelUserUpdatedEvent { ChannelId = channelId, CallId = callId, Version = v, User = user },
        (callId, v, user, deviceId, previous) => new ChannelSessionMovedEvent { ChannelId = channelId, CallId = callId, Version = v, User = user, DeviceId = deviceId, PreviousDeviceId = previous });

    /// <summary>Whether the channel exists and the user is on its access list.</summary>
    public bool IsMember(string userId) => state.Exists && state.Members.Contains(userId);

    public void EnsureMember(string userId)
    {
        Validate.Id(userId, "userId");
        if (!IsMember(userId))
        {
            throw DmVoiceException.ChannelNotFound(channelId);
        }
    }

    public ILiveRoomState CreateLive(RoomStart start, string starterId, DateTimeOffset now) =>
        new LiveChannelState { CallId = start.CallId, StartedAt = now };

    public bool HasRoomForOneMore(ILiveRoomState live) => state.UserLimit == 0 || live.Participants.Count < state.UserLimit;

    public void EnsureRoomForOneMore(ILiveRoomState live)
    {
        if (!HasRoomForOneMore(live))
        {
            throw new DmVoiceException(ErrorCodes.ChannelFull, $"This channel holds at most {state.UserLimit} in voice.");
        }
    }

    public IReadOnlyList<NotRungEntry>? Joined(RoomRules room, VoiceParticipant participant, RoomStart? start, DateTimeOffset now)
    {
        room.Emit(v => Events.Joined(state.Call!.CallId, v, participant));
        return null;
    }

    public void Emptied(RoomRules room, ILiveRoomState live)
    {
    }

    public void SettleDeadlines(RoomRules room, ILiveRoomState live, DateTimeOffset now)
    {
    }

    public DateTimeOffset? NextDeadline(ILiveRoomState live) => null;

    public void End(RoomRules room, ILiveRoomState live, string reason, DateTimeOffset now) => room.CloseLive(live, LeaveReasons.CallEnded);

    public ChannelPresence Presence(RoomRules room) => state.Call is { } live
        ? new ChannelPresence(channelId, live.CallId, live.StartedAt, room.Participants(live), state.UserLimit, state.Version)
        : new ChannelPresence(channelId, null, null, [], state.UserLimit, state.Version);
}
