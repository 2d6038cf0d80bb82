using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Users;

/// <summary>
/// The device audit, the grain's side (the decisions are <see cref="DeviceAudit"/>'s): when the grain
/// activates with devices, and every <see cref="CallOptions.PresenceAuditInterval"/> while the user
/// holds a seat, it asks each gateway the devices are on, its lease and the gateway itself, and
/// forgets what neither vouches for.
/// </summary>
public sealed partial class UserVoiceGrain
{
    /// <summary>How long a gateway has to say which connections it holds; a live one answers in milliseconds.</summary>
    private static readonly TimeSpan GatewayAnswerTimeout = TimeSpan.FromSeconds(5);

    private IGrainTimer? _auditTimer;

    private void StartDeviceAudits()
    {
        var interval = _options.PresenceAuditInterval;
        var soon = _devices.AnyConnected ? TimeSpan.FromMilliseconds(100) : interval;
        var first = true;
        _auditTimer = this.RegisterGrainTimer(
            async () =>
            {
                var due = DeviceAudit.IsDue(_devices.AnyConnected, atActivation: first, seated: State.Active is not null);
                first = false;
                if (due)
                {
                    await AuditDevicesAsync();
                }
            },
            new GrainTimerCreationOptions { DueTime = soon, Period = interval, KeepAlive = false });
    }

    private async Task AuditDevicesAsync()
    {
        var findings = await Task.WhenAll(State.Gateways.ToArray().Select(g => AuditGatewayAsync(g.Key, g.Value)));
        foreach (var (lostGateway, lost) in DeviceAudit.LostGateways(_devices, findings))
        {
            LogAuditLostGateway(UserId, lostGateway, lost.Length);
            _presenceMetrics.DevicesForgotten(leaseLost: true, lost.Length);
            await ForgetDevicesAsync(lost, lostGateway);
        }

        var gone = DeviceAudit.Closed(_devices, findings);
        if (gone.Length > 0)
        {
            LogAuditClosedDevices(UserId, gone.Length);
            _presenceMetrics.DevicesForgotten(leaseLost: false, gone.Length);
            await ForgetDevicesAsync(gone, lostGateway: null);
        }
    }

    /// <summary>Asks one gateway's lease, then the gateway, what it vouches for (see <see cref="GatewayAudit"/>).</summary>
    private async Task<GatewayAudit> AuditGatewayAsync(string gatewayId, IGatewayObserver gateway)
    {
        try
        {
            if (!await GrainFactory.GetGrain<IGatewayLeaseGrain>(gatewayId).Tracks(UserId))
            {
                return new GatewayAudit(gatewayId, LeaseLost: true, Held: null);
            }

            var held = await gateway.HeldConnections(UserId).WaitAsync(GatewayAnswerTimeout);
            return new GatewayAudit(gatewayId, LeaseLost: false, new HashSet<string>(held, StringComparer.Ordinal));
        }
        catch (Exception ex)
        {
            LogAuditUnanswered(ex, UserId, gatewayId);
            return new GatewayAudit(gatewayId, LeaseLost: false, Held: null);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: gateway {GatewayId}'s lease no longer tracks the user; forgetting {DeviceCount} device(s) there whose loss never arrived")]
    private partial void LogAuditLostGateway(string userId, string gatewayId, int deviceCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: {DeviceCount} device(s) are no longer held by their gateway; forgetting them (their close never arrived)")]
    private partial void LogAuditClosedDevices(string userId, int deviceCount);

    [LoggerMessage(Level = LogLevel.Debug, Message = "User {UserId}: gateway {GatewayId} did not answer the device audit; its devices stay until its lease decides")]
    private partial void LogAuditUnanswered(Exception exception, string userId, string gatewayId);
}
