namespace DmVoice.Grains.Users;

/// <summary>
/// Devices and routes, the grain's side: the calls around <see cref="UserDevices"/> (the rules), that
/// is tracking the user on each gateway's lease (<see cref="GatewayPresence"/>: when the gateway is
/// lost, so are its devices), storing, and telling the live calls the user can see whenever the set of
/// gateways changes (<see cref="LiveCallNotifier"/>).
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
            await _presence.TrackAsync(gateway.GatewayId);
        }

        _devices.Open(connectionKey, gateway, deviceId);
        RefreshGrace();
        await SaveAsync();
        _presence.EnsureAudits();

        if (newGateway)
        {
            await _liveCallNotifier.PublishRoutesAsync();
        }
    }

    public async Task ConnectionClosed(string connectionKey)
    {
        if (_devices.IsOpen(connectionKey))
        {
            await ForgetDevicesAsync([connectionKey], lostGateway: null);
        }
    }

    public Task GatewayLost(string gatewayId) => _presence.GatewayLostAsync(gatewayId);

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
            await _liveCallNotifier.PublishRoutesAsync();
        }

        foreach (var gatewayId in forgotten.EmptiedGateways)
        {
            await _presence.UntrackQuietlyAsync(gatewayId);
        }
    }

    /// <summary>Starts or ends the disconnect grace as the seat's device comes and goes (see <see cref="UserDevices.RefreshGrace"/>).</summary>
    private void RefreshGrace() =>
        _deadlineTimer?.Schedule(_devices.RefreshGrace(_clock.UtcNow, _options.DisconnectGrace));
}
