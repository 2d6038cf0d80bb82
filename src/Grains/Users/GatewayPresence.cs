using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Users;

/// <summary>
/// A user's presence on gateways, the Orleans side of <see cref="UserVoiceGrain"/>'s devices: tracking
/// the user on each gateway's lease (<see cref="IGatewayLeaseGrain"/>: when the gateway is lost, so are
/// its devices), and the device audit (the decisions are <see cref="DeviceAudit"/>'s). When the grain
/// activates with devices, and every <see cref="CallOptions.PresenceAuditInterval"/> while the user
/// holds a seat, the audit asks each gateway the devices are on, its lease and the gateway itself, and
/// forgets what neither vouches for through the grain (<paramref name="forgetDevices"/>: store, tell
/// the live calls, untrack).
/// </summary>
/// <remarks>
/// The audit's timer is a plain runtime timer armed only while an audit can be due, and it wakes the
/// grain through <paramref name="wake"/> (a grain call, so the audit runs as an ordinary turn): a grain
/// timer for every user grain, ticking whether or not an audit was due, cost about 0.7 KB per user.
/// </remarks>
internal sealed partial class GatewayPresence(
    IGrainFactory grains,
    string userId,
    UserVoiceState state,
    UserDevices devices,
    CallOptions options,
    PresenceMetrics presenceMetrics,
    Func<IReadOnlyCollection<string>, string?, Task> forgetDevices,
    Func<Task> wake,
    ILogger logger)
{
    /// <summary>How long a gateway has to say which connections it holds; a live one answers in milliseconds.</summary>
    private static readonly TimeSpan GatewayAnswerTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How soon after an activation with devices its first audit runs.</summary>
    private static readonly TimeSpan SoonAfterActivation = TimeSpan.FromMilliseconds(100);

    /// <summary>The audit interval bounds how long a lost close lingers: real time, not the calls' clock (which a test may hold still).</summary>
    private static TimeProvider AuditTime => TimeProvider.System;

    private readonly DeadlineTimer _auditTimer = new(AuditTime, wake);
    private DateTimeOffset? _nextAudit;
    private bool _audited;

    /// <summary>Tracks the user on a gateway's lease; a lease that has lapsed answers at once with <c>GatewayLost</c>.</summary>
    public Task TrackAsync(string gatewayId) => grains.GetGrain<IGatewayLeaseGrain>(gatewayId).Track(userId);

    public async Task UntrackQuietlyAsync(string gatewayId)
    {
        try
        {
            await grains.GetGrain<IGatewayLeaseGrain>(gatewayId).Untrack(userId);
        }
        catch (Exception ex)
        {
            // Only costs a spare GatewayLost later, which finds nothing to remove.
            LogUntrackFailed(ex, userId, gatewayId);
        }
    }

    /// <summary>The lease of a gateway lapsed or was released: its devices are forgotten with it.</summary>
    public async Task GatewayLostAsync(string gatewayId)
    {
        var lost = devices.OnGateway(gatewayId);
        if (lost.Length > 0 || state.Gateways.ContainsKey(gatewayId))
        {
            LogGatewayLost(userId, gatewayId, lost.Length);
            await forgetDevices(lost, gatewayId);
        }
    }

    /// <summary>At activation: an activation with devices audits them soon.</summary>
    public void StartAudits()
    {
        if (devices.AnyConnected)
        {
            ScheduleAudit(AuditTime.GetUtcNow() + SoonAfterActivation);
        }
    }

    /// <summary>After a seat or a device was gained: audits run every interval from now while both last.</summary>
    public void EnsureAudits()
    {
        if (_nextAudit is null && DeviceAudit.IsDue(devices.AnyConnected, atActivation: false, seated: state.Active is not null))
        {
            ScheduleAudit(AuditTime.GetUtcNow() + options.PresenceAuditInterval);
        }
    }

    /// <summary>Runs the audit when it is due (the grain's deadline turn), and arms the next one while it can be due.</summary>
    public async Task AuditIfDueAsync()
    {
        if (_nextAudit is not { } due)
        {
            return;
        }

        if (due > AuditTime.GetUtcNow())
        {
            // A timer can fire a moment before its time by the wall clock: it must fire again, not be lost.
            _auditTimer.Schedule(due);
            return;
        }

        _nextAudit = null;
        var atActivation = !_audited;
        _audited = true;
        try
        {
            if (DeviceAudit.IsDue(devices.AnyConnected, atActivation, seated: state.Active is not null))
            {
                await AuditDevicesAsync();
            }
        }
        catch (Exception ex)
        {
            // Forgetting what the audit found could not be stored (the activation is dropped with it): the
            // next activation audits again. The grain's other deadlines must still run in this turn.
            LogAuditFailed(ex, userId);
        }

        EnsureAudits();
    }

    public void StopAudits() => _auditTimer.Dispose();

    private void ScheduleAudit(DateTimeOffset at)
    {
        _nextAudit = at;
        _auditTimer.Schedule(at);
    }

    private async Task AuditDevicesAsync()
    {
        var findings = await Task.WhenAll(state.Gateways.ToArray().Select(g => AuditGatewayAsync(g.Key, g.Value)));
        foreach (var (lostGateway, lost) in DeviceAudit.LostGateways(devices, findings))
        {
            LogAuditLostGateway(userId, lostGateway, lost.Length);
            presenceMetrics.DevicesForgotten(leaseLost: true, lost.Length);
            await forgetDevices(lost, lostGateway);
        }

        var gone = DeviceAudit.Closed(devices, findings);
        if (gone.Length > 0)
        {
            LogAuditClosedDevices(userId, gone.Length);
            presenceMetrics.DevicesForgotten(leaseLost: false, gone.Length);
            await forgetDevices(gone, null);
        }
    }

    /// <summary>Asks one gateway's lease, then the gateway, what it vouches for (see <see cref="GatewayAudit"/>).</summary>
    private async Task<GatewayAudit> AuditGatewayAsync(string gatewayId, IGatewayObserver gateway)
    {
        try
        {
            if (!await grains.GetGrain<IGatewayLeaseGrain>(gatewayId).Tracks(userId))
            {
                return new GatewayAudit(gatewayId, LeaseLost: true, Held: null);
            }

            var held = await gateway.HeldConnections(userId).WaitAsync(GatewayAnswerTimeout);
            return new GatewayAudit(gatewayId, LeaseLost: false, new HashSet<string>(held, StringComparer.Ordinal));
        }
        catch (Exception ex)
        {
            LogAuditUnanswered(ex, userId, gatewayId);
            return new GatewayAudit(gatewayId, LeaseLost: false, Held: null);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId}: gateway {GatewayId} is gone, {DeviceCount} device(s) with it")]
    private partial void LogGatewayLost(string userId, string gatewayId, int deviceCount);

    [LoggerMessage(Level = LogLevel.Debug, Message = "User {UserId}: untracking on gateway {GatewayId} failed")]
    private partial void LogUntrackFailed(Exception exception, string userId, string gatewayId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: gateway {GatewayId}'s lease no longer tracks the user; forgetting {DeviceCount} device(s) there whose loss never arrived")]
    private partial void LogAuditLostGateway(string userId, string gatewayId, int deviceCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: {DeviceCount} device(s) are no longer held by their gateway; forgetting them (their close never arrived)")]
    private partial void LogAuditClosedDevices(string userId, int deviceCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: the device audit failed")]
    private partial void LogAuditFailed(Exception exception, string userId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "User {UserId}: gateway {GatewayId} did not answer the device audit; its devices stay until its lease decides")]
    private partial void LogAuditUnanswered(Exception exception, string userId, string gatewayId);
}
