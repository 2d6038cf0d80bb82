using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Users;

/// <summary>
/// Devices and routes, the grain's side: the calls around <see cref="UserDevices"/> (the rules), that
/// is tracking the user on each gateway's lease (<see cref="IGatewayLeaseGrain"/>: when the gateway is
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
            await GrainFactory.GetGrain<IGatewayLeaseGrain>(gateway.GatewayId).Track(UserId);
        }

        _devices.Open(connectionKey, gateway, deviceId);
        RefreshGrace();
        await SaveAsync();

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
            await _liveCallNotifier.PublishRoutesAsync();
        }

        foreach (var gatewayId in forgotten.EmptiedGateways)
        {
            await UntrackQuietlyAsync(gatewayId);
        }
    }

    /// <summary>Starts or ends the disconnect grace as the seat's device comes and goes (see <see cref="UserDevices.RefreshGrace"/>).</summary>
    private void RefreshGrace() =>
        _deadlineTimer?.Schedule(_devices.RefreshGrace(_clock.UtcNow, _options.DisconnectGrace));

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

    [LoggerMessage(Level = LogLevel.Debug, Message = "User {UserId}: untracking on gateway {GatewayId} failed")]
    private partial void LogUntrackFailed(Exception exception, string userId, string gatewayId);
}
