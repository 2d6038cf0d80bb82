using Microsoft.AspNetCore.SignalR;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// SignalR's default lifetime manager, plus one thing: it hands each connection's
/// <see cref="HubConnectionContext"/> to the hub (through the connection's items, which the hub sees
/// as <see cref="HubCallerContext.Items"/>), so the gateway can write serialised events and a close
/// message that lets the client reconnect straight to the connection.
/// </summary>
public sealed class VoiceHubLifetimeManager(ILogger<DefaultHubLifetimeManager<VoiceHub>> logger)
    : DefaultHubLifetimeManager<VoiceHub>(logger)
{
    public static readonly object ConnectionItem = new();

    public override Task OnConnectedAsync(HubConnectionContext connection)
    {
        connection.Items[ConnectionItem] = connection;
        return base.OnConnectedAsync(connection);
    }

    public static HubConnectionContext ConnectionOf(HubCallerContext context) =>
        context.Items.TryGetValue(ConnectionItem, out var value) && value is HubConnectionContext connection
            ? connection
            : throw new InvalidOperationException("The hub connection was not registered by VoiceHubLifetimeManager.");
}
