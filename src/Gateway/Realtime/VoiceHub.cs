using DmVoice.Gateway.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// The live channel to a user's devices. Connecting makes sure this gateway hears the user's
/// event stream and tells the user's grain a device is online; events arrive through
/// <see cref="UserEventFanout"/>, not through hub methods.
/// </summary>
[Authorize]
public sealed class VoiceHub(UserEventFanout fanout, IGrainFactory grains, GatewayInstance instance) : Hub<IVoiceClient>
{
    public const string Path = "/hubs/voice";

    public override async Task OnConnectedAsync()
    {
        var userId = Context.User!.UserId();
        await fanout.AddConnectionAsync(userId, Context.ConnectionAborted);
        await grains.GetGrain<IUserVoiceGrain>(userId).ConnectionOpened(instance.ConnectionKey(Context.ConnectionId));
        await base.OnConnectedAsync();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        var userId = Context.User!.UserId();
        try
        {
            await grains.GetGrain<IUserVoiceGrain>(userId).ConnectionClosed(instance.ConnectionKey(Context.ConnectionId));
        }
        finally
        {
            await fanout.RemoveConnectionAsync(userId);
        }

        await base.OnDisconnectedAsync(exception);
    }
}

/// <summary>Identifies this gateway process, so connection ids from different gateways never collide.</summary>
public sealed class GatewayInstance
{
    public string Id { get; } = Guid.NewGuid().ToString("N")[..12];

    public string ConnectionKey(string connectionId) => $"{Id}:{connectionId}";
}

/// <summary>SignalR addresses users by the token's <c>sub</c>.</summary>
public sealed class SubjectUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) => connection.User?.FindFirst("sub")?.Value;
}
