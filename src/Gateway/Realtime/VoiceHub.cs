using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Observability;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// The live channel to a user's devices. Connecting registers the connection here (its outbox) and
/// then with the user's grain, which makes every live call the user can see send to this gateway;
/// events arrive through <see cref="GatewayEventReceiver"/> (or the user's stream) into the outbox.
/// </summary>
[Authorize]
public sealed class VoiceHub(
    ConnectionRegistry connections,
    GatewayLease lease,
    IGrainFactory grains,
    GatewayInstance instance,
    GatewayMetrics metrics,
    VoiceOverviewQuery overview)
    : Hub<IVoiceClient>
{
    public const string Path = "/hubs/voice";

    /// <summary>
    /// The state to start from. SignalR runs invocations only after <see cref="OnConnectedAsync"/>
    /// has finished, and by then every live call the user can see sends to this connection: a client
    /// that calls it right after connecting misses nothing (events with a higher version follow).
    /// </summary>
    [HubMethodName("sync")]
    public Task<MyVoiceOverview> Sync() => overview.GetAsync(Context.User!.UserId());

    public override async Task OnConnectedAsync()
    {
        var userId = Context.User!.UserId();
        await lease.WaitUntilHeldAsync(Context.ConnectionAborted);
        await connections.AddAsync(userId, VoiceHubLifetimeManager.ConnectionOf(Context), Context.ConnectionAborted);
        try
        {
            await grains.GetGrain<IUserVoiceGrain>(userId).ConnectionOpened(instance.ConnectionKey(Context.ConnectionId), lease.Route);
            metrics.PresenceMessage("connection_opened");
        }
        catch
        {
            // A failed connect never reaches OnDisconnectedAsync: give the registration back here.
            await connections.RemoveAsync(userId, Context.ConnectionId);
            throw;
        }

        await base.OnConnectedAsync();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        var userId = Context.User!.UserId();
        try
        {
            await grains.GetGrain<IUserVoiceGrain>(userId).ConnectionClosed(instance.ConnectionKey(Context.ConnectionId));
            metrics.PresenceMessage("connection_closed");
        }
        finally
        {
            await connections.RemoveAsync(userId, Context.ConnectionId);
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
