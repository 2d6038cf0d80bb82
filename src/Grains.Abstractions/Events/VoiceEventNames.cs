namespace DmVoice.Abstractions;

/// <summary>
/// The SignalR client method names, one source of truth for the hub, the tests and docs/API.md.
/// </summary>
public static class VoiceEventNames
{
    public const string CallStarted = "dmVoiceCallStarted";
    public const string UserJoined = "dmVoiceUserJoined";
    public const string UserLeft = "dmVoiceUserLeft";
    public const string UserUpdated = "dmVoiceUserUpdated";
    public const string CallEnded = "dmVoiceCallEnded";
    public const string RingStarted = "dmVoiceRingStarted";
    public const string RingStopped = "dmVoiceRingStopped";
    public const string SessionMoved = "dmVoiceSessionMoved";

    public const string ChannelUserJoined = "voiceChannelUserJoined";
    public const string ChannelUserLeft = "voiceChannelUserLeft";
    public const string ChannelUserUpdated = "voiceChannelUserUpdated";
    public const string ChannelSessionMoved = "voiceChannelSessionMoved";

    public const string ChannelUpdated = "voiceChannelUpdated";
    public const string ChannelRemoved = "voiceChannelRemoved";

    public const string ChannelInvited = "voiceChannelInvited";
    public const string ChannelInviteRemoved = "voiceChannelInviteRemoved";

    public static IReadOnlyList<string> All { get; } =
    [
        CallStarted, UserJoined, UserLeft, UserUpdated, CallEnded, RingStarted, RingStopped, SessionMoved,
        ChannelUserJoined, ChannelUserLeft, ChannelUserUpdated, ChannelSessionMoved,
        ChannelUpdated, ChannelRemoved, ChannelInvited, ChannelInviteRemoved,
    ];
}
