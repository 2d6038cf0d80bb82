using DmVoice.Gateway.Hosting;
using DmVoice.Gateway.Observability;
using DmVoice.Grains.Events;
using Microsoft.Extensions.Options;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// This gateway's lease on the cluster, and its route (the observer grains push events to). The
/// lease is renewed every <see cref="GatewayOptions.LeaseRenewInterval"/>; if renewals stop (crash,
/// partition), the cluster drops this gateway's devices after <see cref="GatewayOptions.LeaseTimeout"/>.
/// The gateway fences itself the same way: a lease it could not renew in time, or one the cluster says
/// had lapsed, closes every connection so the clients reconnect and re-sync rather than wait for
/// events that will not come.
/// </summary>
public sealed partial class GatewayLease(
    IGrainFactory grains,
    GatewayInstance instance,
    GatewayEventReceiver receiver,
    ConnectionRegistry connections,
    IOptions<GatewayOptions> options,
    GatewayMetrics metrics,
    TimeProvider time,
    ILogger<GatewayLease> logger,
    LocalGateways? localGateways = null) : BackgroundService
{
    /// <summary>How long a connecting device waits for the lease before it is turned away.</summary>
    private static readonly TimeSpan ConnectWait = TimeSpan.FromSeconds(10);

    private readonly GatewayOptions _options = options.Value;
    private readonly TaskCompletionSource _firstHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _renewNow = new(0, 1);
    private GatewayRoute? _route;
    private DateTimeOffset _renewedAt;
    private bool _fenced;

    /// <summary>Where grains reach this gateway: its id and its observer.</summary>
    public GatewayRoute Route => _route ?? throw new InvalidOperationException("The gateway has no lease yet.");

    /// <summary>Whether the lease was renewed recently enough to accept devices.</summary>
    public bool IsHeld => _firstHeld.Task.IsCompleted && !_fenced && time.GetUtcNow() - _renewedAt < _options.LeaseTimeout;

    /// <summary>
    /// Waits (briefly) until the gateway holds its lease; a device must not register before that. False
    /// when it does not: the connection is turned away, and its client tries again or another gateway.
    /// </summary>
    public async Task<bool> WaitUntilHeldAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _firstHeld.Task.WaitAsync(ConnectWait, cancellationToken);
        }
        catch (TimeoutException)
        {
            return false;
        }

        return IsHeld;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The receiver is a singleton: Orleans keeps only a weak reference to an observer object.
        _route = new GatewayRoute(instance.Id, grains.CreateObjectReference<IGatewayObserver>(receiver));

        // Co-hosted with a silo (embedded mode): its grains hand deliveries to the receiver directly.
        localGateways?.Register(instance.Id, receiver);
        var lease = grains.GetGrain<IGatewayLeaseGrain>(instance.Id);
        while (!stoppingToken.IsCancellationRequested)
        {
            var delay = _options.LeaseRenewInterval;
            try
            {
                var renewal = await lease.Renew(_options.LeaseTimeout, continuing: _firstHeld.Task.IsCompleted);
                metrics.PresenceMessage("lease_renewal");
                _renewedAt = time.GetUtcNow();
                if (renewal == LeaseRenewal.Lapsed)
                {
                    // Our devices were dropped while we were away: whoever is still connected missed
                    // events; make them reconnect and sync.
                    LogLeaseLapsed(instance.Id);
                    metrics.LeaseLost(ConnectionCloseReasons.GatewayLeaseLapsed);
                    CloseAllInBackground(ConnectionCloseReasons.GatewayLeaseLapsed);
                }

                _fenced = false;

                _firstHeld.TrySetResult();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRenewFailed(ex, instance.Id);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks, TimeSpan.FromSeconds(1).Ticks));
                if (_firstHeld.Task.IsCompleted && !_fenced && time.GetUtcNow() - _renewedAt >= _options.LeaseTimeout)
                {
                    _fenced = true;
                    metrics.LeaseLost(ConnectionCloseReasons.ClusterUnreachable);
                    CloseAllInBackground(ConnectionCloseReasons.ClusterUnreachable);
                }
            }

            try
            {
                await _renewNow.WaitAsync(delay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>
    /// Closes every connection open now without waiting for their clients to hang up: the renewals go on
    /// meanwhile, since a slow client must not cost the lease that the reconnecting ones need. The set
    /// closed is taken at once, so connections that arrive later stay open.
    /// </summary>
    private void CloseAllInBackground(string reason) =>
        connections.CloseAllAsync(reason).ContinueWith(
            closing => LogFenceCloseFailed(closing.Exception!, instance.Id),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    /// <summary>
    /// Renews at once instead of at the next interval: after the gateway regained the cluster, the
    /// cluster may have forgotten this gateway (a restart), and its clients should know soon.
    /// </summary>
    public void RenewNow()
    {
        if (_renewNow.CurrentCount == 0)
        {
            try
            {
                _renewNow.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already requested.
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        localGateways?.Unregister(instance.Id);
        await base.StopAsync(cancellationToken);
        if (!_firstHeld.Task.IsCompleted)
        {
            return;
        }

        try
        {
            // Leaving cleanly: whoever still has a device here loses it now, not a lease term later.
            await grains.GetGrain<IGatewayLeaseGrain>(instance.Id).Release().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        }
        catch (Exception ex)
        {
            LogReleaseFailed(ex, instance.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway {GatewayId}: the lease had lapsed; closing every connection so clients re-sync")]
    private partial void LogLeaseLapsed(string gatewayId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway {GatewayId}: renewing the lease failed")]
    private partial void LogRenewFailed(Exception exception, string gatewayId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gateway {GatewayId}: closing every connection after losing the lease failed")]
    private partial void LogFenceCloseFailed(Exception exception, string gatewayId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway {GatewayId}: releasing the lease at shutdown failed; it lapses on its own")]
    private partial void LogReleaseFailed(Exception exception, string gatewayId);
}
