using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Users;

/// <summary>
/// Devices and routes, the grain's side: the calls around <see cref="UserDevices"/> (the rules), that
/// is tracking the user on each gateway's lease (<see cref="IGatewayLeaseGrain"/>: when the gateway is
/// lost, so are its devices), storing, and telling the live calls the user can see whenever the set of
/// gateways changes.
/// </summary>
public sealed partial class UserVoiceGrain
{
    public async Task ConnectionOpened(string connectionKey, GatewayRoute gateway, string? deviceId = null)
    {
        Validate.Id(connectionKey, "connectionKey");
        ArgumentNullException.ThrowIfNull(gateway);
        if (deviceId is not null)
        {
            Validate.Id(deviceId, "deviceId");
        }

        var newGateway = _devices.IsNewGateway(gateway);
        if (newGateway)
        {
            // Tracked before it is stored: a gateway whose lease has lapsed answers at once with
            // GatewayLost, and a failure here leaves nothing behind.
            await GrainFactory.GetGrain<IGatewayLeaseGrain>(gateway.GatewayId).Track(UserId);
        }

        _devices.Open(connectionKey, gateway, deviceId);
        RefreshGrace();
        await SaveAsync();

        if (newGateway)
        {
            await PublishRoutesAsync();
        }
    }

    public async Task ConnectionClosed(string connectionKey)
    {
        if (_devices.IsOpen(connectionKey))
        {
            await ForgetDevicesAsync([connectionKey], lostGateway: null);
        }
    }

    public async Task GatewayLost(string gatewayId)
    {
        var lost = _devices.OnGateway(gatewayId);
        if (lost.Length > 0 || State.Gateways.ContainsKey(gatewayId))
        {
            LogGatewayLost(UserId, gatewayId, lost.Length);
            await ForgetDevicesAsync(lost, gatewayId);
        }
    }

    public Task<bool> HasLiveDevice() => Task.FromResult(_devices.AnyConnected);

    /// <summary>
    /// Forgets connections (see <see cref="UserDevices.Forget"/>), stores that, then tells the live calls
    /// where the devices are now and the emptied gateways' leases to stop tracking the user.
    /// </summary>
    private async Task ForgetDevicesAsync(IReadOnlyCollection<string> connectionKeys, string? lostGateway)
    {
        var forgotten = _devices.Forget(connectionKeys, lostGateway);
        RefreshGrace();
        await SaveAsync();
        if (forgotten.RoutesChanged)
        {
            await PublishRoutesAsync();
        }

        foreach (var gatewayId in forgotten.EmptiedGateways)
        {
            await UntrackQuietlyAsync(gatewayId);
        }
    }

    /// <summary>Starts or ends the disconnect grace as the seat's device comes and goes (see <see cref="UserDevices.RefreshGrace"/>).</summary>
    private void RefreshGrace() =>
        _deadlineTimer?.Schedule(_devices.RefreshGrace(_clock.UtcNow, _options.DisconnectGrace));

    /// <summary>
    /// Tells every live call the user can see where the user's devices are now, and waits for them, so
    /// a device that connected is reachable by the time the gateway lets it sync. A call that cannot be
    /// told now catches up on its own: it asks its members for routes whenever it activates.
    /// </summary>
    private async Task PublishRoutesAsync()
    {
        if (_cluster.UsesStreams || _liveCalls.IsEmpty)
        {
            return;
        }

        var routes = _devices.Routes;
        var calls = _liveCalls.ToArray();
        var stale = await Task.WhenAll(calls.Select(async live =>
        {
            try
            {
                var current = await RoomOf(live.Call).RoutesChanged(UserId, routes);
                return current == live.CallId ? null : live;
            }
            catch (Exception ex)
            {
                // Not left to the call's next member check: told one-way, it asks this user again soon.
                LogRoutesNotPublished(ex, UserId, live.Call.Kind, live.Call.Id);
                RoomOf(live.Call).AskAgain(UserId).Ignore();
                return null;
            }
        }));

        // A call that ended (or a DM the user left) while its deregistration was on its way.
        if (_liveCalls.RemoveStale(stale))
        {
            ForgotLiveCall();
        }
    }

    private async Task UntrackQuietlyAsync(string gatewayId)
    {
        try
        {
            await GrainFactory.GetGrain<IGatewayLeaseGrain>(gatewayId).Untrack(UserId);
        }
        catch (Exception ex)
        {
            // Only costs a spare GatewayLost later, which finds nothing to remove.
            LogUntrackFailed(ex, UserId, gatewayId);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId}: gateway {GatewayId} is gone, {DeviceCount} device(s) with it")]
    private partial void LogGatewayLost(string userId, string gatewayId, int deviceCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: could not tell call {Kind}:{Id} about new routes; asking it to check again")]
    private partial void LogRoutesNotPublished(Exception exception, string userId, string kind, string id);

    [LoggerMessage(Level = LogLevel.Debug, Message = "User {UserId}: untracking on gateway {GatewayId} failed")]
    private partial void LogUntrackFailed(Exception exception, string userId, string gatewayId);
}
