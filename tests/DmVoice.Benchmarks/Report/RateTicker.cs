using System.Diagnostics;

namespace DmVoice.Benchmarks.Report;

/// <summary>
/// A progress line every <c>period</c> while a long step runs: how many units are done, the rate since
/// the last line and on average. The count is read from <c>done</c>; the line is written by
/// <c>report(done, ratePerSecondNow, ratePerSecondOnAverage)</c>. Dispose (await) it when the step ends.
/// </summary>
public sealed class RateTicker : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ticking;

    public RateTicker(TimeSpan period, Func<long> done, Action<long, double, double> report)
    {
        Started = Stopwatch.GetTimestamp();
        _ticking = Task.Run(async () =>
        {
            var last = 0L;
            var lastAt = 0.0;
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    await Task.Delay(period, _stop.Token);
                    var now = done();
                    var elapsed = Stopwatch.GetElapsedTime(Started).TotalSeconds;
                    report(now, (now - last) / (elapsed - lastAt), now / elapsed);
                    last = now;
                    lastAt = elapsed;
                }
            }
            catch (OperationCanceledException)
            {
                // The step ended.
            }
        });
    }

    /// <summary>When the step began (a <see cref="Stopwatch"/> timestamp).</summary>
    public long Started { get; }

    public double ElapsedSeconds => Stopwatch.GetElapsedTime(Started).TotalSeconds;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _ticking;
        _stop.Dispose();
    }
}
