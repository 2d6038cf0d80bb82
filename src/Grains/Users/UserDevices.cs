namespace DmVoice.Grains.Users;

/// <summary>
/// The rules of a user's devices, over the user grain's stored state: which connections are open on
/// which gateways and for which device, the gateways' routes, and the disconnect grace of the seat they
/// hold. Plain code (the grain does the storing and the calls), so every rule is tested on its own.
/// </summary>
/// <remarks>
/// A seat whose join named a device lasts while a connection of that device is open; the user's other
/// devices do not keep it (they are not in the call). A seat whose join named none lasts while any
/// device is connected. When it has no such device, the grace starts, and a grace already running
/// keeps its deadline.
/// </remarks>
public sealed class UserDevices(UserVoiceState state)
{
    private GatewayRoute[]? _routes;

    /// <summary>Whether any device is connected, on any gateway (what others' view of the user's status rests on).</summary>
    public bool AnyConnected => state.Devices.Count > 0;

    /// <summary>The gateways the user's devices are on now, with the observer each receives events on.</summary>
    public GatewayRoute[] Routes => _routes ??= state.Gateways.Select(g => new GatewayRoute(g.Key, g.Value)).ToArray();

    /// <summary>Whether a connection on <paramref name="gateway"/> would be the user's first there (or the gateway's observer changed).</summary>
    public bool IsNewGateway(GatewayRoute gateway) =>
        !state.Gateways.TryGetValue(gateway.GatewayId, out var known) || !known.Equals(gateway.Observer);

    public void Open(string connectionKey, GatewayRoute gateway, string? deviceId)
    {
        if (IsNewGateway(gateway))
        {
            state.Gateways[gateway.GatewayId] = gateway.Observer;
            _routes = null;
        }

        state.Devices[connectionKey] = gateway.GatewayId;
        if (deviceId is not null)
        {
            state.DeviceIds[connectionKey] = deviceId;
        }
    }

    public bool IsOpen(string connectionKey) => state.Devices.ContainsKey(connectionKey);

    /// <summary>The user's connections on one gateway.</summary>
    public string[] OnGateway(string gatewayId) =>
        state.Devices.Where(d => d.Value == gatewayId).Select(d => d.Key).ToArray();

    /// <summary>The user's connections on <paramref name="gatewayId"/> that the gateway says it does not hold.</summary>
    public string[] NotHeld(string gatewayId, IReadOnlySet<string> held) =>
        state.Devices.Where(d => d.Value == gatewayId && !held.Contains(d.Key)).Select(d => d.Key).ToArray();

    /// <summary>
    /// Forgets connections that closed (or that their gateway no longer holds), and with them every
    /// gateway left without one. A <paramref name="lostGateway"/> goes as a whole, devices or not.
    /// </summary>
    public DevicesForgotten Forget(IEnumerable<string> connectionKeys, string? lostGateway = null)
    {
        var emptied = new List<string>();
        foreach (var key in connectionKeys)
        {
            if (state.Devices.Remove(key, out var gatewayId))
            {
                state.DeviceIds.Remove(key);
                if (gatewayId != lostGateway && !state.Devices.ContainsValue(gatewayId) && !emptied.Contains(gatewayId))
                {
                    emptied.Add(gatewayId);
                }
            }
        }

        var routesChanged = emptied.Count > 0;
        foreach (var gatewayId in emptied)
        {
            state.Gateways.Remove(gatewayId);
        }

        if (lostGateway is not null)
        {
            foreach (var key in OnGateway(lostGateway))
            {
                state.Devices.Remove(key);
                state.DeviceIds.Remove(key);
            }

            routesChanged |= state.Gateways.Remove(lostGateway);
        }

        if (routesChanged)
        {
            _routes = null;
        }

        return new DevicesForgotten(emptied.ToArray(), routesChanged);
    }

    /// <summary>
    /// Starts the disconnect grace when the seat's device has no connection left, and ends it when that
    /// device is back (or there is no seat). Returns the deadline, if any.
    /// </summary>
    public DateTimeOffset? RefreshGrace(DateTimeOffset now, TimeSpan grace)
    {
        if (state.Active is null || SeatDeviceConnected())
        {
            state.DisconnectDeadline = null;
        }
        else
        {
            state.DisconnectDeadline ??= now + grace;
        }

        return state.DisconnectDeadline;
    }

    private bool SeatDeviceConnected() =>
        state.ActiveDevice is { } seat ? state.DeviceIds.ContainsValue(seat) : state.Devices.Count > 0;
}

/// <summary>What forgetting devices changed: the gateways the user no longer has a device on (their leases should stop tracking the user), and whether the routes changed.</summary>
public sealed record DevicesForgotten(string[] EmptiedGateways, bool RoutesChanged);
