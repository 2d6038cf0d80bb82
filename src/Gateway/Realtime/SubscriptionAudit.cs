namespace DmVoice.Gateway.Realtime;

/// <summary>
/// Streams mode: after this gateway lost its connection to a silo, re-creates every user's stream
/// subscription here, 2, 8 and 32 s later. A stream's pulling agent that fails to deliver to this
/// gateway through the silo that died (until the cluster has declared it dead) takes the gateway for
/// gone and stops delivering to that subscription for good, without telling it, and the cluster may
/// still list the subscription. A new subscription gets the user's next events, and the devices see the
/// version gap and re-read. Each round costs an unsubscribe and a subscribe per user here.
/// </summary>
public sealed partial class SubscriptionAudit(ConnectionRegistry registry, ILogger<SubscriptionAudit> logger) : IDisposable
{
    private static readonly TimeSpan[] Rounds = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(32)];
    private readonly object _lock = new();
    private CancellationTokenSource? _running;

    /// <summary>Starts the rounds over (rounds already under way are replaced).</summary>
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
        foreach (var round in Rounds)
        {
            try
            {
                await Task.Delay(round - waited, cancellationToken);
                waited = round;
                await registry.ResubscribeAllAsync();
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                // The cluster is still unsettled; the next round tries again.
                LogRoundFailed(ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-subscribing the user event streams after a silo loss failed")]
    private partial void LogRoundFailed(Exception exception);
}
