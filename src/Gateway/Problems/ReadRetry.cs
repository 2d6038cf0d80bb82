using DmVoice.Gateway.Hosting;
using DmVoice.Gateway.Observability;
using Microsoft.Extensions.Options;

namespace DmVoice.Gateway.Problems;

/// <summary>
/// Retries a read that is safe to repeat (it changes nothing) after a transient fault, at most twice and
/// only within <see cref="GatewayOptions.ReadRetryBudget"/>, so a brief failover is not a failure for the
/// user while a real outage is still answered quickly (503, with the last fault). Writes never come here:
/// whether a write may be repeated is the grains' business, and a client retrying after 503 decides it.
/// </summary>
public sealed partial class ReadRetry(
    IOptions<GatewayOptions> options,
    TimeProvider time,
    GatewayMetrics metrics,
    ILogger<ReadRetry> logger)
{
    /// <summary>The pause before each retry: short, then longer, giving a failing-over silo a moment.</summary>
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400)];

    /// <param name="read">The read; called again from the start on each retry.</param>
    /// <param name="surface">Where the read came from (<c>rest</c>, <c>hub</c>), for the retry metric.</param>
    public async Task<T> RunAsync<T>(Func<Task<T>> read, string surface, CancellationToken cancellationToken)
    {
        var budget = options.Value.ReadRetryBudget;
        var started = time.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await read();
            }
            catch (Exception ex) when (
                attempt < Backoff.Length
                && !cancellationToken.IsCancellationRequested
                && time.GetElapsedTime(started) + Backoff[attempt] < budget
                && TransientFaults.IsTransient(ex))
            {
                LogRetrying(surface, attempt + 1, ex.GetType().Name, ex.Message);
                metrics.ReadRetried(surface);
                await Task.Delay(Backoff[attempt], time, cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retrying a {Surface} read (retry {Retry}) after a transient fault: {Fault}: {Detail}")]
    private partial void LogRetrying(string surface, int retry, string fault, string detail);
}

/// <summary>Runs every GET endpoint of the API through <see cref="ReadRetry"/>.</summary>
internal sealed class ReadRetryFilter(ReadRetry retry) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!HttpMethods.IsGet(http.Request.Method))
        {
            return next(context);
        }

        // A GET has no body to re-read, and its handler only reads grains: running it again is safe.
        return new ValueTask<object?>(retry.RunAsync(() => next(context).AsTask(), "rest", http.RequestAborted));
    }
}
