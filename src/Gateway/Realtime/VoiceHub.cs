using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Observability;
using DmVoice.Gateway.Problems;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// The live channel to a user's devices. Connecting registers the connection here (its outbox) and
/// then with the user's grain, which makes every live call the user can see send to this gateway;
/// events arrive through <see cref="GatewayEventReceiver"/> (or the user's stream) into the outbox.
/// A connection that cannot be registered because of a transient fault is turned away with a reason
/// and reconnecting allowed, so its client simply tries again.
/// </summary>
[Authorize]
public sealed partial class VoiceHub(
    ConnectionRegistry connections,
    GatewayLease lease,
    IGrainFactory grains,
    GatewayInstance instance,
    GatewayMetrics metrics,
    VoiceOverviewQuery overview,
    ReadRetry retry,
    DevicePresence presence,
    GatewayShutdown shutdown,
    ILogger<VoiceHub> logger)
    : Hub<IVoiceClient>
{
    public const string Path = "/hubs/voice";

    /// <summary>Marks a connection that <see cref="OnConnectedAsync"/> turned away (see <see cref="VoiceHubFilter"/>).</summary>
    internal const string RefusedItem = "dmvoice.refused";

    /// <summary>Marks a connection whose user grain may have recorded it, so closing must tell the grain.</summary>
    private const string OpenedItem = "dmvoice.opened";

    /// <summary>The value of <see cref="OpenedItem"/>: only its presence counts, so one boxed value serves every connection.</summary>
    private static readonly object Opened = true;

    /// <summary>
    /// The state to start from. SignalR runs invocations only after <see cref="OnConnectedAsync"/>
    /// has finished, and by then every live call the user can see sends to this connection: a client
    /// that calls it right after connecting misses nothing (events with a higher version follow).
    /// A read, so a transient fault is retried briefly before the client hears of it.
    /// </summary>
    [HubMethodName("sync")]
    public Task<MyVoiceOverview> Sync()
    {
        var userId = Context.User!.UserId();
        return retry.RunAsync(() => overview.GetAsync(userId), "hub", Context.ConnectionAborted);
    }

    /// <summary>The query parameter a client names its device with: the <c>deviceId</c> its joins carry.</summary>
    public const string DeviceQuery = "deviceId";

    public override async Task OnConnectedAsync()
    {
        var userId = Context.User!.UserId();
        var deviceId = DeviceOf(Context);
        if (shutdown.IsStopping)
        {
            // Its client tries again at once, and the load balancer sends it to another gateway.
            Refuse(ConnectionCloseReasons.GatewayShuttingDown);
            return;
        }

        if (!await lease.WaitUntilHeldAsync(Context.ConnectionAborted))
        {
            // Another gateway may reach the cluster; this one will again once it holds its lease.
            Refuse(ConnectionCloseReasons.ClusterUnreachable);
            return;
        }

        var connection = VoiceHubLifetimeManager.ConnectionOf(Context);
        try
        {
            // In streams mode this subscribes to the user's stream, which a passing fault can fail.
            await connections.AddAsync(userId, connection, Context.ConnectionAborted);
        }
        catch (Exception ex) when (TransientFaults.IsTransient(ex))
        {
            // Nothing was added. Thrown out of here it would close the connection with reconnecting
            // forbidden, and the device would stay away for good: turn it away to reconnect instead.
            LogRefused(userId, ex.GetType().Name, ex.Message);
            metrics.Unavailable("connect");
            Refuse(ErrorCodes.TemporarilyUnavailable);
            return;
        }

        try
        {
            Context.Items[OpenedItem] = Opened;
            await grains.GetGrain<IUserVoiceGrain>(userId).ConnectionOpened(instance.ConnectionKey(Context.ConnectionId), lease.Route, deviceId);
            metrics.PresenceMessage("connection_opened");
        }
        catch (Exception ex) when (TransientFaults.IsTransient(ex))
        {
            // Not registered, so no event would reach this device: turn it away. OnDisconnectedAsync
            // follows and tells the user grain, in case the open arrived and only its answer was lost.
            await connections.RemoveAsync(userId, Context.ConnectionId);
            LogRefused(userId, ex.GetType().Name, ex.Message);
            metrics.Unavailable("connect");
            Refuse(ErrorCodes.TemporarilyUnavailable);
            return;
        }
        catch
        {
            // A failed connect never reaches OnDisconnectedAsync: give the registration back here.
            await connections.RemoveAsync(userId, Context.ConnectionId);
            throw;
        }

        if (shutdown.IsStopping)
        {
            // The gateway began to stop while this one registered, after it closed the others.
            Refuse(ConnectionCloseReasons.GatewayShuttingDown);
            return;
        }

        await base.OnConnectedAsync();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        var userId = Context.User!.UserId();
        try
        {
            if (Context.Items.ContainsKey(OpenedItem))
            {
                await presence.ConnectionClosedAsync(userId, instance.ConnectionKey(Context.ConnectionId));
            }
        }
        finally
        {
            await connections.RemoveAsync(userId, Context.ConnectionId);
        }

        await base.OnDisconnectedAsync(exception);
    }

    /// <summary>
    /// The device this connection says it is (<c>?deviceId=</c>), or null. A malformed one is refused
    /// outright: the client is wrong, and reconnecting would not fix it.
    /// </summary>
    private static string? DeviceOf(HubCallerContext context)
    {
        var value = context.GetHttpContext()?.Request.Query[DeviceQuery].ToString();
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return Validate.IsValidId(value)
            ? value
            : throw new HubException($"{ErrorCodes.ValidationFailed}: '{DeviceQuery}' must be 1..{Validate.MaxIdLength} characters of letters, digits, '_', '.', ':' or '-'.");
    }

    /// <summary>
    /// Closes the connection with SignalR's close message, the reason and reconnecting allowed. (Throwing
    /// from OnConnectedAsync would close it too, but with reconnecting forbidden: the client would give up.)
    /// </summary>
    private void Refuse(string reason)
    {
        Context.Items[RefusedItem] = reason;
        metrics.ConnectionClosedByGateway(reason);
        _ = HubCloser.CloseAsync(VoiceHubLifetimeManager.ConnectionOf(Context), reason);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Turned away a connection of {UserId}: registering it met a transient fault ({Fault}: {Detail})")]
    private partial void LogRefused(string userId, string fault, string detail);
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
