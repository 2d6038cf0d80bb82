using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Users;

/// <summary>
/// Devices and routes: which connections the user has open, on which gateways and for which device,
/// and telling the live calls the user can see whenever that set of gateways changes. Every device
/// rests on its gateway's lease (<see cref="IGatewayLeaseGrain"/>): when the gateway is lost, so are
/// its devices. A seat held by a named device lasts while a connection of that device is open; the
/// user's other devices do not keep it (they are not in the call).
/// </summary>
public sealed partial class UserVoiceGrain
{
    private GatewayRoute[]? _routes;

    public async Task ConnectionOpened(string connectionKey, GatewayRoute gateway, string? deviceId = null)
    {
        Validate.Id(connectionKey, "connectionKey");
        ArgumentNullException.ThrowIfNull(gateway);
        if (deviceId is not null)
        {
            Validate.Id(deviceId, "deviceId");
        }

        var newGateway = !State.Gateways.TryGetValue(gateway.GatewayId, out var known) || !known.Equals(gateway.Observer);
        if (newGateway)
        {
            // Tracked before it is stored: a gateway whose lease has lapsed answers at once with
            // GatewayLost, and a failure here leaves nothing behind.
            await GrainFactory.GetGrain<IGatewayLeaseGrain>(gateway.GatewayId).Track(UserId);
            State.Gateways[gateway.GatewayId] = gateway.Observer;
            _routes = null;
        }

        State.Devices[connectionKey] = gateway.GatewayId;
        if (deviceId is not null)
        {
            State.DeviceIds[connectionKey] = deviceId;
        }

        RefreshGrace();
        await SaveAsync();

        if (newGateway)
        {
            await PublishRoutesAsync();
        }
    }

    public async Task ConnectionClosed(string connectionKey)
    {
        if (State.Devices.ContainsKey(connectionKey))
        {
            await ForgetDevicesAsync([connectionKey], lostGateway: null);
        }
    }

    public async Task GatewayLost(string gatewayId)
    {
        var lost = State.Devices.Where(d => d.Value == gatewayId).Select(d => d.Key).ToArray();
        if (lost.Length > 0 || State.Gateways.ContainsKey(gatewayId))
        {
            LogGatewayLost(UserId, gatewayId, lost.Length);
            await ForgetDevicesAsync(lost, gatewayId);
        }
    }

    /// <summary>
    /// Forgets connections that closed (or that their gateway no longer holds), and gateways left with
    /// none of the user's devices; stores that, then tells the live calls where the devices are now and
    /// the emptied gateways' leases to stop tracking the user. A <paramref name="lostGateway"/> is gone
    /// as a whole: its lease already forgot the user.
    /// </summary>
    private async Task ForgetDevicesAsync(IReadOnlyCollection<string> connectionKeys, string? lostGateway)
    {
        var emptied = new List<string>();
        foreach (var key in connectionKeys)
        {
            if (State.Devices.Remove(key, out var gatewayId))
            {
                State.DeviceIds.Remove(key);
                if (gatewayId != lostGateway && !State.Devices.ContainsValue(gatewayId) && !emptied.Contains(gatewayId))
                {
                    emptied.Add(gatewayId);
                }
            }
        }

        var routesChanged = emptied.Count > 0 || (lostGateway is not null && State.Gateways.ContainsKey(lostGateway));
        foreach (var gatewayId in emptied.Append(lostGateway).OfType<string>())
        {
            State.Gateways.Remove(gatewayId);
        }

        if (routesChanged)
        {
            _routes = null;
        }

        RefreshGrace();
        await SaveAsync();
        if (routesChanged)
        {
            await PublishRoutesAsync();
        }

        foreach (var gatewayId in emptied)
        {
            await UntrackQuietlyAsync(gatewayId);
        }
    }

    /// <summary>The gateways the user's devices are on now.</summary>
    private GatewayRoute[] Routes() =>
        _routes ??= State.Gateways.Select(g => new GatewayRoute(g.Key, g.Value)).ToArray();

    /// <summary>
    /// Starts the disconnect grace when the seat's device has no connection left (any device, for a seat
    /// whose join named none), and ends it when that device is back. A grace already running keeps its deadline.
    /// </summary>
    private void RefreshGrace()
    {
        if (State.Active is null || SeatDeviceConnected())
        {
            State.DisconnectDeadline = null;
        }
        else
        {
            State.DisconnectDeadline ??= _clock.UtcNow + _options.DisconnectGrace;
        }

        _deadlineTimer?.Schedule(State.DisconnectDeadline);
    }

    private bool SeatDeviceConnected() =>
        State.ActiveDevice is { } seat ? State.DeviceIds.ContainsValue(seat) : State.Devices.Count > 0;

    /// <summary>
    /// Tells every live call the user can see where the user's devices are now, and waits for them, so
    /// a device that connected is reachable by the time the gateway lets it sync. A call that cannot be
    /// told now catches up on its own: it asks its members for routes whenever it activates.
    /// </summary>
    private async Task PublishRoutesAsync()
    {
        if (_cluster.UsesStreams || State.LiveCalls.Count == 0)
        {
            return;
        }

        var routes = Routes();
        var calls = State.LiveCalls.ToArray();
        var stale = await Task.WhenAll(calls.Select(async live =>
        {
            try
            {
                var current = await RoomOf(live.Call).RoutesChanged(UserId, routes);
                return current == live.CallId ? null : live;
            }
            catch (Exception ex)
            {
                LogRoutesNotPublished(ex, UserId, live.Call.Kind, live.Call.Id);
                return null;
            }
        }));

        // A call that ended (or a DM the user left) while its deregistration was on its way.
        if (State.LiveCalls.RemoveAll(live => stale.Contains(live)) > 0)
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: could not tell call {Kind}:{Id} about new routes; it catches up when it next activates")]
    private partial void LogRoutesNotPublished(Exception exception, string userId, string kind, string id);

    [LoggerMessage(Level = LogLevel.Debug, Message = "User {UserId}: untracking on gateway {GatewayId} failed")]
    private partial void LogUntrackFailed(Exception exception, string userId, string gatewayId);
}
