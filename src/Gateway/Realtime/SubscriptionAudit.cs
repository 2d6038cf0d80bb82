namespace DmVoice.Gateway.Realtime;

/// <summary>
/// Streams mode: after this gateway lost a connection to a silo, checks its users' stream subscriptions
/// a few times, 1 s to 64 s later (doubling), and re-creates those the cluster dropped meanwhile
/// (<see cref="ConnectionRegistry.RepairSubscriptionsAsync"/>). A pulling agent drops a subscription
/// when it fails to deliver through the silo that died, until the cluster has declared it dead, so the
/// checks span failure detection. Each check costs one subscription read per user here.
/// </summary>
public sealed partial class SubscriptionAudit(ConnectionRegistry registry, ILogger<SubscriptionAudit> logger) : IDisposable
{
    private static readonly TimeSpan[] Delays = [.. Enumerable.Range(0, 7).Select(i => TimeSpan.FromSeconds(1 << i))];
    private readonly object _lock = new();
    private CancellationTokenSource? _running;

    /// <summary>Starts the checks over (a run already under way is replaced).</summary>
    public void SiloLost()
    {
        CancellationTokenSource next = new();
        lock (_lock)
        {
            _running?.Cancel();
            _running?.Dispose();
            _running = next;
        }

        _ = RunAsync(next.Token);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _running?.Cancel();
            _running?.Dispose();
            _running = null;
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var waited = TimeSpan.Zero;
        foreach (var delay in Delays)
        {
            try
            {
                await Task.Delay(delay - waited, cancellationToken);
                waited = delay;
                await registry.RepairSubscriptionsAsync();
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                // The cluster is still unsettled; the next check tries again.
                LogCheckFailed(ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking the user event stream subscriptions failed")]
    private partial void LogCheckFailed(Exception exception);
}
