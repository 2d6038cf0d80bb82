using DmVoice.Gateway.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// The live channel to a user's devices. Connecting makes sure this gateway hears the user's
/// event stream and tells the user's grain a device is online; events arrive through
/// <see cref="UserEventFanout"/>.
/// </summary>
[Authorize]
public sealed class VoiceHub(UserEventFanout fanout, IGrainFactory grains, GatewayInstance instance, VoiceOverviewQuery overview)
    : Hub<IVoiceClient>
{
    public const string Path = "/hubs/voice";

    /// <summary>
    /// The state to start from. SignalR runs invocations only after <see cref="OnConnectedAsync"/>
    /// has finished, so this snapshot is taken after the event subscription exists: a client that
    /// calls it right after connecting misses nothing (events with a higher version follow).
    /// </summary>
    [HubMethodName("sync")]
    public Task<MyVoiceOverview> Sync() => overview.GetAsync(Context.User!.UserId());

    public override async Task OnConnectedAsync()
    {
        var userId = Context.User!.UserId();
        await fanout.AddConnectionAsync(userId, Context.ConnectionId, Context.ConnectionAborted);
        try
        {
            await grains.GetGrain<IUserVoiceGrain>(userId).ConnectionOpened(instance.ConnectionKey(Context.ConnectionId));
        }
        catch
        {
            // A failed connect never reaches OnDisconnectedAsync: give the subscription back here.
            await fanout.RemoveConnectionAsync(userId, Context.ConnectionId);
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
        }
        finally
        {
            await fanout.RemoveConnectionAsync(userId, Context.ConnectionId);
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
