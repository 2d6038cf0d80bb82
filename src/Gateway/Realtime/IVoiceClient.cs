using Microsoft.AspNetCore.SignalR;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// What the hub calls on clients. Method names on the wire come from <see cref="VoiceEventNames"/>,
/// the one source of truth shared with docs/API.md.
/// </summary>
public interface IVoiceClient
{
    [HubMethodName(VoiceEventNames.CallStarted)]
    Task CallStarted(CallStartedEvent payload);

    [HubMethodName(VoiceEventNames.UserJoined)]
    Task UserJoined(UserJoinedEvent payload);

    [HubMethodName(VoiceEventNames.UserLeft)]
    Task UserLeft(UserLeftEvent payload);

    [HubMethodName(VoiceEventNames.UserUpdated)]
    Task UserUpdated(UserUpdatedEvent payload);

    [HubMethodName(VoiceEventNames.CallEnded)]
    Task CallEnded(CallEndedEvent payload);

    [HubMethodName(VoiceEventNames.RingStarted)]
    Task RingStarted(RingStartedEvent payload);

    [HubMethodName(VoiceEventNames.RingStopped)]
    Task RingStopped(RingStoppedEvent payload);

    [HubMethodName(VoiceEventNames.SessionMoved)]
    Task SessionMoved(SessionMovedEvent payload);

    [HubMethodName(VoiceEventNames.ChannelUserJoined)]
    Task ChannelUserJoined(ChannelUserJoinedEvent payload);

    [HubMethodName(VoiceEventNames.ChannelUserLeft)]
    Task ChannelUserLeft(ChannelUserLeftEvent payload);

    [HubMethodName(VoiceEventNames.ChannelUserUpdated)]
    Task ChannelUserUpdated(ChannelUserUpdatedEvent payload);

    [HubMethodName(VoiceEventNames.ChannelSessionMoved)]
    Task ChannelSessionMoved(ChannelSessionMovedEvent payload);

    [HubMethodName(VoiceEventNames.ChannelUpdated)]
    Task ChannelUpdated(ChannelUpdatedEvent payload);

    [HubMethodName(VoiceEventNames.ChannelRemoved)]
    Task ChannelRemoved(ChannelRemovedEvent payload);

    [HubMethodName(VoiceEventNames.ChannelInvited)]
    Task ChannelInvited(ChannelInvitedEvent payload);

    [HubMethodName(VoiceEventNames.ChannelInviteRemoved)]
    Task ChannelInviteRemoved(ChannelInviteRemovedEvent payload);
}

internal static class VoiceClientDispatch
{
    public static Task Deliver(this IVoiceClient client, VoiceEvent voiceEvent) => voiceEvent switch
    {
        CallStartedEvent e => client.CallStarted(e),
        UserJoinedEvent e => client.UserJoined(e),
        UserLeftEvent e => client.UserLeft(e),
        UserUpdatedEvent e => client.UserUpdated(e),
        CallEndedEvent e => client.CallEnded(e),
        RingStartedEvent e => client.RingStarted(e),
        RingStoppedEvent e => client.RingStopped(e),
        SessionMovedEvent e => client.SessionMoved(e),
        ChannelUserJoinedEvent e => client.ChannelUserJoined(e),
        ChannelUserLeftEvent e => client.ChannelUserLeft(e),
        ChannelUserUpdatedEvent e => client.ChannelUserUpdated(e),
        ChannelSessionMovedEvent e => client.ChannelSessionMoved(e),
        ChannelUpdatedEvent e => client.ChannelUpdated(e),
        ChannelRemovedEvent e => client.ChannelRemoved(e),
        ChannelInvitedEvent e => client.ChannelInvited(e),
        ChannelInviteRemovedEvent e => client.ChannelInviteRemoved(e),
        _ => throw new ArgumentOutOfRangeException(nameof(voiceEvent), voiceEvent.GetType().Name, "Unknown voice event"),
    };
}
