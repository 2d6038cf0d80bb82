using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Users;

/// <summary>
/// The device audit: presence heals itself even when a message that should have ended it was lost (a
/// device's close that could not be stored while storage was down for minutes, a lease's "gateway
/// lost" notice that went down with a silo). When the grain activates with devices, and every
/// <see cref="CallOptions.PresenceAuditInterval"/> while the user holds a seat, it asks each gateway
/// the devices are on: its lease (is it alive, and does it still track this user?) and the gateway
/// itself (which of the user's connections does it really hold?). Whatever neither vouches for is
/// forgotten, exactly as if its close had arrived, so the disconnect grace takes it from there.
/// A gateway that cannot answer just now keeps its devices: its lease is the authority on whether it lives.
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
                // At activation whatever the seat (the devices are the user's online status too); later
                // only while seated: the user grain of someone who is only online may be collected, and
                // audits again when it comes back.
                var due = _devices.AnyConnected && (first || State.Active is not null);
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
        foreach (var lostGateway in findings.Where(f => f.LeaseLost).Select(f => f.GatewayId))
        {
            var lost = _devices.OnGateway(lostGateway);
            LogAuditLostGateway(UserId, lostGateway, lost.Length);
            _presenceMetrics.DevicesForgotten(leaseLost: true, lost.Length);
            await ForgetDevicesAsync(lost, lostGateway);
        }

        var gone = findings.Where(f => f.Held is not null).SelectMany(f => _devices.NotHeld(f.GatewayId, f.Held!)).ToArray();
        if (gone.Length > 0)
        {
            LogAuditClosedDevices(UserId, gone.Length);
            _presenceMetrics.DevicesForgotten(leaseLost: false, gone.Length);
            await ForgetDevicesAsync(gone, lostGateway: null);
        }
    }

    /// <summary>What one gateway vouches for: nothing (its lease ended or forgot the user), the connections it holds, or no answer (null).</summary>
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

    private sealed record GatewayAudit(string GatewayId, bool LeaseLost, HashSet<string>? Held);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: gateway {GatewayId}'s lease no longer tracks the user; forgetting {DeviceCount} device(s) there whose loss never arrived")]
    private partial void LogAuditLostGateway(string userId, string gatewayId, int deviceCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: {DeviceCount} device(s) are no longer held by their gateway; forgetting them (their close never arrived)")]
    private partial void LogAuditClosedDevices(string userId, int deviceCount);

    [LoggerMessage(Level = LogLevel.Debug, Message = "User {UserId}: gateway {GatewayId} did not answer the device audit; its devices stay until its lease decides")]
    private partial void LogAuditUnanswered(Exception exception, string userId, string gatewayId);
}
