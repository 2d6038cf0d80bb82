using DmVoice.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// What a gateway does when it is asked to stop (SIGTERM from systemd, Docker or Kubernetes). The
/// moment the host begins to stop, it reports itself not ready, turns new hub connections away and
/// closes every open one with <see cref="ConnectionCloseReasons.GatewayShuttingDown"/> and reconnecting
/// allowed, so clients reconnect at once, through the load balancer, to another gateway. Meanwhile the
/// server stops listening and finishes the requests in flight (ASP.NET Core's own drain, bounded by
/// <see cref="GatewayOptions.ShutdownTimeout"/>), and last the gateway releases its lease
/// (<see cref="GatewayLease.StopAsync"/>), so whatever device the cluster still counts here is gone at
/// once rather than a lease term later.
/// </summary>
public sealed partial class GatewayShutdown(
    IHostApplicationLifetime lifetime,
    ConnectionRegistry connections,
    ILogger<GatewayShutdown> logger) : IHostedService
{
    /// <summary>At most how long stopping waits for clients to read their close message and hang up.</summary>
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(3);

    private readonly CancellationTokenSource _stopping = new();
    private Task _closing = Task.CompletedTask;

    /// <summary>Whether the gateway has begun to stop.</summary>
    public bool IsStopping => _stopping.IsCancellationRequested;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // ApplicationStopping fires before any hosted service stops, the server included: the server's
        // drain waits for WebSocket requests to end, so the connections must already be closing by then.
        lifetime.ApplicationStopping.Register(Begin);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _closing.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout: what is still open goes with the process.
        }
    }

    private void Begin()
    {
        if (IsStopping)
        {
            return;
        }

        _stopping.Cancel();
        LogStopping(connections.ConnectionCount);
        _closing = Task.Run(async () =>
        {
            try
            {
                await connections.CloseAllAsync(ConnectionCloseReasons.GatewayShuttingDown);
            }
            catch (Exception ex)
            {
                LogCloseFailed(ex);
            }
        });

        // SignalR cuts every connection on ApplicationStopping too, without a close message, right after
        // this callback (callbacks run newest first, and SignalR registered when the hub was mapped). Hold
        // it back until the clients have our reason and have hung up, which takes them milliseconds; the
        // wait is bounded by the hang-up grace of each close.
        if (!_closing.Wait(CloseWait))
        {
            LogCloseSlow(CloseWait);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: closing {Count} connections so their clients reconnect elsewhere; finishing requests in flight")]
    private partial void LogStopping(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping: some clients had not hung up after {Wait}; their connections are cut")]
    private partial void LogCloseSlow(TimeSpan wait);

    [LoggerMessage(Level = LogLevel.Error, Message = "Closing connections while stopping failed")]
    private partial void LogCloseFailed(Exception exception);
}
